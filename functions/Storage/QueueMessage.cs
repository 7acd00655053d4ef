using System.Text.Json;

namespace Matching.Storage;

/// <summary>A queue message as a queue function sees it; both hosts give the same body, id and dequeue count.</summary>
public sealed record QueueMessage(string Id, string Body, long DequeueCount)
{
    /// <summary>Parses the body; a body that cannot be parsed fails the message (it will be retried, then poisoned).</summary>
    public T ReadJson<T>(JsonSerializerOptions options)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Body, options)
                ?? throw new InvalidQueueMessageException($"Message {Id} has an empty body.");
        }
        catch (JsonException ex)
        {
            throw new InvalidQueueMessageException($"Message {Id} is not a valid {typeof(T).Name}: {ex.Message}");
        }
    }
}

public sealed class InvalidQueueMessageException(string message) : Exception(message);
