using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Matching.Hosting;

/// <summary>Queue-trigger settings from <c>host.json</c>, with the host's defaults where a value is absent.</summary>
public sealed record QueueSettings(
    int BatchSize,
    int MaxDequeueCount,
    TimeSpan VisibilityTimeout,
    TimeSpan MaxPollingInterval,
    string MessageEncoding)
{
    public static QueueSettings Defaults { get; } = new(16, 5, TimeSpan.Zero, TimeSpan.FromMinutes(1), "base64");
}

public static class HostJson
{
    public static QueueSettings ReadQueueSettings(string path) => ParseQueueSettings(File.ReadAllText(path));

    public static QueueSettings ParseQueueSettings(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"host.json is not valid JSON: {ex.Message}", ex);
        }

        var d = QueueSettings.Defaults;
        var queues = root?["extensions"]?["queues"];
        if (queues is null) return d;

        var batch = ReadInt(queues, "batchSize") ?? d.BatchSize;
        if (batch is < 1 or > 32) throw new InvalidOperationException("host.json: extensions.queues.batchSize must be between 1 and 32.");
        var maxDequeue = ReadInt(queues, "maxDequeueCount") ?? d.MaxDequeueCount;
        if (maxDequeue < 1) throw new InvalidOperationException("host.json: extensions.queues.maxDequeueCount must be at least 1.");
        var polling = ReadTimeSpan(queues, "maxPollingInterval") ?? d.MaxPollingInterval;
        if (polling < TimeSpan.FromMilliseconds(100)) polling = TimeSpan.FromMilliseconds(100); // the host's floor
        var encoding = (string?)queues["messageEncoding"] ?? d.MessageEncoding;
        if (encoding is not ("base64" or "none"))
            throw new InvalidOperationException("host.json: extensions.queues.messageEncoding must be 'base64' or 'none'.");
        return new QueueSettings(batch, maxDequeue, ReadTimeSpan(queues, "visibilityTimeout") ?? d.VisibilityTimeout, polling, encoding);
    }

    private static int? ReadInt(JsonNode node, string name) => node[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<string>(out var s) && int.TryParse(s, CultureInfo.InvariantCulture, out var j) => j,
        _ => throw new InvalidOperationException($"host.json: extensions.queues.{name} must be a whole number."),
    };

    private static TimeSpan? ReadTimeSpan(JsonNode node, string name)
    {
        if (node[name] is null) return null;
        var text = (string?)node[name];
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var t) && t >= TimeSpan.Zero
            ? t
            : throw new InvalidOperationException($"host.json: extensions.queues.{name} must be a time span such as 00:00:10.");
    }
}
