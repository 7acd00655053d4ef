using System.Diagnostics;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.FunctionalTests;

/// <summary>The package the build writes (the app's <c>package</c> command) agrees with the running app.</summary>
[Collection(StorageCollection.Name)]
public sealed class FunctionPackageTests(StorageFixture fixture)
{
    [Fact]
    public async Task Package_has_every_endpoint_queue_and_timer_exactly_once_and_nothing_else()
    {
        var output = Directory.CreateTempSubdirectory("matching-package-").FullName;
        try
        {
            await RunPackageCommand(output);
            var folders = Directory.GetDirectories(output).Select(Path.GetFileName).ToHashSet();
            var written = folders.ToDictionary(f => f!, f => JsonDocument.Parse(File.ReadAllText(Path.Combine(output, f!, "function.json"))).RootElement);

            var app = fixture.App;
            _ = app.Server;
            var expected = new HashSet<string>();
            foreach (var endpoint in app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
            {
                var route = endpoint.RoutePattern.RawText!.TrimStart('/');
                if (!route.StartsWith("api/", StringComparison.Ordinal)) continue; // readiness and invocation routes
                var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName;
                Assert.True(expected.Add(name), $"{name} twice");
                Assert.True(written.TryGetValue(name, out var function), $"HTTP function {name} missing");
                var bindings = function.GetProperty("bindings").EnumerateArray().ToArray();
                Assert.Equal(2, bindings.Length);
                Assert.Equal("httpTrigger", bindings[0].GetProperty("type").GetString());
                Assert.Equal("anonymous", bindings[0].GetProperty("authLevel").GetString());
                Assert.Equal(route["api/".Length..].TrimEnd('/').Replace("{**", "{*"), bindings[0].GetProperty("route").GetString());
                var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => m.ToLowerInvariant()).Order();
                Assert.Equal(methods, bindings[0].GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).Order());
                Assert.Equal("http", bindings[1].GetProperty("type").GetString());
                Assert.Equal("out", bindings[1].GetProperty("direction").GetString());
            }

            var catalog = app.Services.GetRequiredService<FunctionCatalog>();
            Assert.NotEmpty(catalog.QueueFunctions);
            Assert.NotEmpty(catalog.TimerFunctions);
            foreach (var queue in catalog.QueueFunctions)
            {
                Assert.True(expected.Add(queue.Name));
                var binding = written[queue.Name].GetProperty("bindings").EnumerateArray().Single();
                Assert.Equal("queueTrigger", binding.GetProperty("type").GetString());
                Assert.Equal(queue.QueueName, binding.GetProperty("queueName").GetString());
                Assert.Equal("msg", binding.GetProperty("name").GetString());
                Assert.Equal("AzureWebJobsStorage", binding.GetProperty("connection").GetString());
            }
            foreach (var timer in catalog.TimerFunctions)
            {
                Assert.True(expected.Add(timer.Name));
                var binding = written[timer.Name].GetProperty("bindings").EnumerateArray().Single();
                Assert.Equal("timerTrigger", binding.GetProperty("type").GetString());
                Assert.Equal(timer.Schedule, binding.GetProperty("schedule").GetString());
            }

            Assert.Equal(expected.Order(), folders.Order()!);
            var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "host.json"))).RootElement;
            Assert.Equal("dotnet", hostJson.GetProperty("customHandler").GetProperty("description").GetProperty("defaultExecutablePath").GetString());
            Assert.True(hostJson.GetProperty("customHandler").GetProperty("enableForwardingHttpRequest").GetBoolean());
            Assert.Equal(File.ReadAllText(Path.Combine(RepoRoot(), "host.json")), File.ReadAllText(Path.Combine(output, "host.json")));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task RunPackageCommand(string output)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(RepoRoot(), "functions", "bin", configuration, "net10.0", "Matching.Functions.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "package", "--out", output }) start.ArgumentList.Add(a);
        start.Environment.Remove("AzureWebJobsStorage"); // the build step runs without any storage settings
        using var process = Process.Start(start)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"package failed: {stdout}{stderr}");
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Matching.sln"))) return dir.FullName;
        throw new InvalidOperationException("Matching.sln not found above the test binaries.");
    }
}
