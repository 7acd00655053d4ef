using Matching.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Primitives;

namespace Matching.UnitTests;

public sealed class FunctionPackageTests
{
    private sealed class NoopQueue : IQueueHandler { public Task HandleAsync(QueueMessage m, CancellationToken c) => Task.CompletedTask; }
    private sealed class NoopTimer : ITimerHandler { public Task RunAsync(TimerInfo t, CancellationToken c) => Task.CompletedTask; }

    private static readonly FunctionCatalog Catalog = new(
        [new QueueFunction("ScoreRequest", "match-requests", typeof(NoopQueue))],
        [new TimerFunction("ReleaseHolds", "0 */5 * * * *", typeof(NoopTimer))]);

    private static RouteEndpoint Endpoint(string route, string? name, params string[] methods)
    {
        var metadata = new List<object>();
        if (name is not null) metadata.Add(new EndpointNameMetadata(name));
        if (methods.Length > 0) metadata.Add(new HttpMethodMetadata(methods));
        return new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse(route), 0, new EndpointMetadataCollection(metadata), name);
    }

    private static EndpointDataSource Source(params Endpoint[] endpoints) => new DefaultEndpointDataSource(endpoints);

    [Fact]
    public void Describes_http_queue_and_timer_functions()
    {
        var functions = FunctionPackage.Describe(Source(
            Endpoint("/api/offers/{offerId}", "GetOffer", "GET"),
            Endpoint("/api/files/{**path}", "GetFile", "GET", "HEAD"),
            Endpoint("/", null, "GET") is var root ? new RouteEndpoint(root.RequestDelegate!, root.RoutePattern, 0,
                new EndpointMetadataCollection(new ExcludeFromFunctionPackage()), null) : null!), Catalog);

        Assert.Equal(["GetOffer", "GetFile", "ScoreRequest", "ReleaseHolds"], functions.Select(f => f.Name));
        var http = functions[0].FunctionJson["bindings"]![0]!;
        Assert.Equal("httpTrigger", (string?)http["type"]);
        Assert.Equal("offers/{offerId}", (string?)http["route"]);
        Assert.Equal("get", (string?)http["methods"]![0]);
        Assert.Equal("files/{*path}", (string?)functions[1].FunctionJson["bindings"]![0]!["route"]);
        Assert.Equal("match-requests", (string?)functions[2].FunctionJson["bindings"]![0]!["queueName"]);
        Assert.Equal("0 */5 * * * *", (string?)functions[3].FunctionJson["bindings"]![0]!["schedule"]);
    }

    [Fact]
    public void Unnamed_endpoint_is_refused()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => FunctionPackage.Describe(Source(Endpoint("/api/x", null, "GET")), Catalog));
        Assert.Contains("no name", ex.Message);
    }

    [Fact]
    public void Route_outside_api_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => FunctionPackage.Describe(Source(Endpoint("/x", "X", "GET")), Catalog));
    }

    [Fact]
    public void Duplicate_names_are_refused()
    {
        Assert.Throws<InvalidOperationException>(() => FunctionPackage.Describe(Source(Endpoint("/api/x", "ScoreRequest", "GET")), Catalog));
        Assert.Throws<InvalidOperationException>(() => new FunctionCatalog(
            [new QueueFunction("A", "q", typeof(NoopQueue))], [new TimerFunction("a", "0 * * * * *", typeof(NoopTimer))]));
    }

    [Theory]
    [InlineData("Good_Name-1", true)]
    [InlineData("1Bad", false)]
    [InlineData("bad name", false)]
    [InlineData("", false)]
    public void Function_names_follow_the_host_rule(string name, bool valid) => Assert.Equal(valid, FunctionNames.IsValid(name));

    [Fact]
    public void Write_replaces_stale_function_folders_and_copies_host_json()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "Removed"));
            File.WriteAllText(Path.Combine(dir, "Removed", "function.json"), "{}");
            Directory.CreateDirectory(Path.Combine(dir, "runtimes")); // not a function folder: kept
            var host = Path.Combine(Path.GetTempPath(), $"host-{Guid.NewGuid():N}.json");
            File.WriteAllText(host, "{\"version\":\"2.0\"}");

            FunctionPackage.Write(dir, FunctionPackage.Describe(Source(Endpoint("/api/x", "GetX", "GET")), Catalog), host);

            Assert.False(Directory.Exists(Path.Combine(dir, "Removed")));
            Assert.True(Directory.Exists(Path.Combine(dir, "runtimes")));
            Assert.True(File.Exists(Path.Combine(dir, "GetX", "function.json")));
            Assert.True(File.Exists(Path.Combine(dir, "ScoreRequest", "function.json")));
            Assert.Equal("{\"version\":\"2.0\"}", File.ReadAllText(Path.Combine(dir, "host.json")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Catalog_refuses_an_invalid_schedule_at_start_up()
    {
        Assert.ThrowsAny<Exception>(() => new FunctionCatalog([], [new TimerFunction("T", "*/5 * * * *", typeof(NoopTimer))]));
    }
}
