using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Matching.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.UnitTests;

public sealed class StorageSetupTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddMatchingStorage(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();

    [Fact]
    public void Identity_based_settings_give_clients_on_the_service_uris()
    {
        using var services = Build(new()
        {
            ["AzureWebJobsStorage:tableServiceUri"] = "https://stmatching.table.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://stmatching.queue.core.windows.net",
            ["AzureWebJobsStorage:blobServiceUri"] = "https://stmatching.blob.core.windows.net",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000002",
        });
        Assert.Equal("stmatching", services.GetRequiredService<TableServiceClient>().AccountName);
        Assert.Equal(new Uri("https://stmatching.queue.core.windows.net/"), services.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Equal(new Uri("https://stmatching.blob.core.windows.net/"), services.GetRequiredService<BlobServiceClient>().Uri);
    }

    [Fact]
    public void A_connection_string_gives_clients_on_its_endpoints()
    {
        using var services = Build(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });
        Assert.Equal("devstoreaccount1", services.GetRequiredService<QueueServiceClient>().AccountName);
    }

    [Fact]
    public void Missing_storage_settings_name_what_to_set()
    {
        using var services = Build(new());
        var ex = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<TableServiceClient>());
        Assert.Contains("AzureWebJobsStorage", ex.Message);
    }
}
