using Microsoft.Extensions.Options;
using System.Text.Json;
using Azure.Storage.Queues;
using Matching.Hosting;

namespace Matching.Storage;

/// <summary>Enqueues JSON messages (base64, as host.json says) and wakes the local listener of that queue.</summary>
public sealed class QueueSender(QueueServiceClient queues, StorageProvisioner provisioner, QueueWatcher watcher,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    public async Task SendAsync<T>(string queueName, T message, CancellationToken cancellationToken)
    {
        await provisioner.EnsureReadyAsync(cancellationToken);
        var body = JsonSerializer.Serialize(message, json.Value.SerializerOptions);
        await queues.GetQueueClient(queueName).SendMessageAsync(body, cancellationToken);
        watcher.Notify(queueName);
    }
}
