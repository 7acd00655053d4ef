using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;

namespace Matching.FunctionalTests;

/// <summary>Cold start: with fewer real outcomes than the minimum, the weekly retraining trains nothing and the model in service stays.</summary>
public sealed class RetrainTimerTests() : OwnStorageTests
{
    [Fact]
    public async Task Below_the_minimum_of_real_outcomes_nothing_is_trained_and_the_model_in_service_stays()
    {
        await App.RunTimerAsync("RetrainModel");
        var admin = App.ClientFor(Role.Admin, "platform");
        Assert.Equal(0, JsonDocument.Parse(await admin.GetStringAsync("/api/models")).RootElement.GetArrayLength());
        Assert.False(await new Azure.Storage.Blobs.BlobServiceClient(App.ConnectionString).GetBlobContainerClient("models").GetBlobClient("current.json").ExistsAsync());
    }
}
