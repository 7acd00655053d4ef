using Matching.Hosting;

namespace Matching.UnitTests;

public sealed class HostJsonTests
{
    [Fact]
    public void Reads_queue_settings()
    {
        var s = HostJson.ParseQueueSettings("""
            { "version": "2.0", // comments are allowed in host.json
              "extensions": { "queues": { "maxDequeueCount": 3, "visibilityTimeout": "00:00:10", "batchSize": 8,
                                          "maxPollingInterval": "00:00:02", "messageEncoding": "base64" } } }
            """);
        Assert.Equal(new QueueSettings(8, 3, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), "base64"), s);
    }

    [Fact]
    public void Missing_values_take_the_host_defaults()
    {
        Assert.Equal(QueueSettings.Defaults, HostJson.ParseQueueSettings("""{ "version": "2.0" }"""));
        var partial = HostJson.ParseQueueSettings("""{ "extensions": { "queues": { "batchSize": 4 } } }""");
        Assert.Equal(QueueSettings.Defaults with { BatchSize = 4 }, partial);
    }

    [Fact]
    public void Polling_interval_has_the_host_floor_of_100_ms()
    {
        var s = HostJson.ParseQueueSettings("""{ "extensions": { "queues": { "maxPollingInterval": "00:00:00.010" } } }""");
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.MaxPollingInterval);
    }

    [Theory]
    [InlineData("""{ "extensions": { "queues": { "batchSize": 0 } } }""")]
    [InlineData("""{ "extensions": { "queues": { "batchSize": 33 } } }""")]
    [InlineData("""{ "extensions": { "queues": { "maxDequeueCount": 0 } } }""")]
    [InlineData("""{ "extensions": { "queues": { "visibilityTimeout": "soon" } } }""")]
    [InlineData("""{ "extensions": { "queues": { "messageEncoding": "utf16" } } }""")]
    [InlineData("""{ "extensions": """)]
    public void Invalid_settings_are_refused_with_a_message(string json)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => HostJson.ParseQueueSettings(json));
        Assert.Contains("host.json", ex.Message);
    }

    [Fact]
    public void The_repository_host_json_is_for_the_isolated_worker_with_base64_queues()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "host.json");
        var s = HostJson.ReadQueueSettings(path);
        Assert.Equal("base64", s.MessageEncoding);
        var text = File.ReadAllText(path);
        Assert.DoesNotContain("customHandler", text);
        Assert.DoesNotContain("extensionBundle", text); // the worker's extensions ship in the package (.azurefunctions)
    }
}
