namespace Matching.Storage;

/// <summary>
/// Lets a producer in this process wake the listener of the queue it just wrote to, as the host's
/// shared queue watcher does, so that a warm listener does not wait out its back-off.
/// </summary>
public sealed class QueueWatcher
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.Ordinal);

    public void Notify(string queueName)
    {
        var signal = _signals.GetOrAdd(queueName, _ => new SemaphoreSlim(0));
        if (signal.CurrentCount == 0) signal.Release();
    }

    public async Task WaitAsync(string queueName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var signal = _signals.GetOrAdd(queueName, _ => new SemaphoreSlim(0));
        try { await signal.WaitAsync(timeout, cancellationToken); }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }
}
