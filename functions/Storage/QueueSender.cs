using Microsoft.Extensions.Options;
using System.Text.Json;
using Azure.Storage.Queues;

namespace Matching.Storage;

/// <summary>Enqueues JSON messages (base64, as host.json says) and wakes the local listener of that queue.</summary>
public sealed class QueueSender(QueueServiceClient queues, StorageProvisioner provisioner, QueueWatcher watcher,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    /// <param name="delay">Hidden this long first (at most 7 days): a retry's back-off, the end of someone's quiet hours.</param>
    public async Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken, TimeSpan? delay = null)
    {
        await provisioner.EnsureReadyAsync(cancellationToken);
        var body = JsonSerializer.Serialize(message, json.Value.SerializerOptions);
        var hidden = delay is { } d && d > TimeSpan.Zero ? TimeSpan.FromSeconds(Math.Min(Math.Ceiling(d.TotalSeconds), TimeSpan.FromDays(7).TotalSeconds - 60)) : (TimeSpan?)null;
        await queues.GetQueueClient(queueName).SendMessageAsync(body, hidden, cancellationToken: cancellationToken);
        if (hidden is null) watcher.Notify(queueName);
    }
}
