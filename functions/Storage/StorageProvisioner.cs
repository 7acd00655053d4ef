using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Matching.Storage;

/// <summary>
/// Creates every declared table, every queue of a queue function and its poison queue, once per process.
/// It runs lazily (the first storage use awaits it) so that start-up never waits on storage; a failure is
/// not cached, so the next use tries again once storage is back. On Azure the Bicep creates them too.
/// </summary>
public sealed class StorageProvisioner(
    TableServiceClient tables,
    QueueServiceClient queues,
    BlobServiceClient blobs,
    IEnumerable<TableDeclaration> declaredTables,
    IEnumerable<BlobContainerDeclaration> declaredContainers,
    IEnumerable<QueueDeclaration> declaredQueues,
    IEnumerable<QueueSource> queueSources)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _ready;

    public IReadOnlyList<string> TableNames { get; } = declaredTables.Select(t => t.Name).Distinct().Order().ToArray();

    private readonly Lazy<string[]> _queueNames = new(() => declaredQueues.Select(q => q.Name).Concat(queueSources.SelectMany(s => s.Names()))
        .SelectMany(q => new[] { q, QueueDeclaration.PoisonName(q) })
        .Distinct().Order().ToArray());

    public IReadOnlyList<string> QueueNames => _queueNames.Value;

    /// <summary>Called when storage says a table or queue is missing: the next use creates them again.</summary>
    public void Invalidate() => _ready = false;

    public IReadOnlyList<string> ContainerNames { get; } = declaredContainers.Select(c => c.Name).Distinct().Order().ToArray();

    public async ValueTask EnsureReadyAsync(CancellationToken cancellationToken = default)
    {
        if (_ready) return;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_ready) return;
            await Task.WhenAll(
                TableNames.Select(t => tables.CreateTableIfNotExistsAsync(t, cancellationToken))
                    .Concat<Task>(QueueNames.Select(q => queues.GetQueueClient(q).CreateIfNotExistsAsync(cancellationToken: cancellationToken)))
                    .Concat(ContainerNames.Select(c => blobs.GetBlobContainerClient(c).CreateIfNotExistsAsync(cancellationToken: cancellationToken))));
            _ready = true;
        }
        finally
        {
            _gate.Release();
        }
    }
}

public sealed record BlobContainerDeclaration(string Name);
