using System.Diagnostics;
using Azure.Storage.Blobs;
using Matching.FunctionalTests.Infrastructure;

namespace Matching.FunctionalTests;

/// <summary>The promote command uploads a model and makes it current in Blob Storage (own Azurite: the shared one keeps its model).</summary>
public sealed class ModelCommandTests
{
    [Fact]
    public async Task Promote_uploads_the_model_and_points_current_at_it_and_refuses_a_broken_one()
    {
        await using var azurite = await Azurite.StartAsync();
        var folder = Directory.CreateTempSubdirectory("matching-promote-").FullName;
        try
        {
            var shipped = Path.Combine(AppContext.BaseDirectory, "Mentoring", "Model", "matching-v1");
            File.Copy(shipped + ".zip", Path.Combine(folder, "v7.zip"));
            File.WriteAllText(Path.Combine(folder, "v7.json"), File.ReadAllText(shipped + ".json").Replace("\"version\": \"v1\"", "\"version\": \"v7\""));
            var (refused, why) = await RunAsync(azurite, "promote", "--model", Path.Combine(folder, "v7.zip"));
            Assert.NotEqual(0, refused); // no flat file yet: serving could not read it
            Assert.Contains("flatten", why);
            var (flattened, written) = await RunAsync(azurite, "flatten", "--model", Path.Combine(folder, "v7.zip"));
            Assert.True(flattened == 0, written);
            var (code, output) = await RunAsync(azurite, "promote", "--model", Path.Combine(folder, "v7.zip"));
            Assert.True(code == 0, output);

            var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("models");
            Assert.Equal("""{"version":"v7"}""", (await container.GetBlobClient("current.json").DownloadContentAsync()).Value.Content.ToString());
            Assert.True((await container.GetBlobClient("v7.zip").ExistsAsync()).Value);
            Assert.True((await container.GetBlobClient("v7.json").ExistsAsync()).Value);
            Assert.Equal("v7", Matching.Mentoring.Engine.FlatModelFile.Read((await container.GetBlobClient("v7.flat").DownloadContentAsync()).Value.Content.ToArray(), "v7.flat").Version);

            File.WriteAllText(Path.Combine(folder, "v8.zip"), "not a model");
            File.Copy(Path.Combine(folder, "v7.json"), Path.Combine(folder, "v8.json"));
            var (broken, _) = await RunAsync(azurite, "promote", "--model", Path.Combine(folder, "v8.zip"));
            Assert.NotEqual(0, broken);
            Assert.Equal("""{"version":"v7"}""", (await container.GetBlobClient("current.json").DownloadContentAsync()).Value.Content.ToString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(Azurite azurite, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Matching.Functions.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
