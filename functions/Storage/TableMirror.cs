using Azure.Data.Tables;

namespace Matching.Storage;

/// <summary>
/// Keeps an instance's in-memory copy of one kind of row (every row with a given RowKey) current: the first
/// call loads them all and waits; later calls start an incremental refresh (rows changed since the last one,
/// by Timestamp) in the background when it is due, and never wait for it. Writers in this instance fold their
/// own changes in directly; the refresh brings other instances' changes.
/// </summary>
public sealed class TableMirror(Func<TableClient> table, string rowKey, TimeSpan refreshEvery, Action<TableEntity> apply,
    StorageProvisioner provisioner, TimeProvider time)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTimeOffset? _loadedUpTo;

    public async Task EnsureFreshAsync(CancellationToken ct)
    {
        if (_loadedUpTo is { } upTo)
        {
            if (time.GetUtcNow() - upTo >= refreshEvery && _gate.Wait(0))
                _ = Task.Run(async () =>
                {
                    try { await RefreshAsync(CancellationToken.None); }
                    catch (Exception) { /* storage hiccup: the next call tries again */ }
                    finally { _gate.Release(); }
                });
            return;
        }
        await _gate.WaitAsync(ct);
        try
        {
            if (_loadedUpTo is null) await RefreshAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var started = time.GetUtcNow();
        // The overlap covers clock skew between this instance and storage.
        var filter = _loadedUpTo is { } since
            ? TableClient.CreateQueryFilter($"RowKey eq {rowKey} and Timestamp ge {since.AddSeconds(-10)}")
            : TableClient.CreateQueryFilter($"RowKey eq {rowKey}");
        await foreach (var e in table().QueryAsync<TableEntity>(filter, cancellationToken: ct)) apply(e);
        _loadedUpTo = started;
    }
}
