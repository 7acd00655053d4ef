using Azure.Storage.Queues;
using Matching.Storage;

namespace Matching.Hosting;

/// <summary>
/// The local host's stand-in for the Functions host's queue trigger: one polling loop per queue function, with the
/// semantics read from host.json (batch size, visibility timeout after a failure, maxDequeueCount then
/// <c>&lt;queue&gt;-poison</c>, randomized back-off up to maxPollingInterval while a queue is empty).
/// It is a development tool for one machine; scale-out is the host's job on Azure.
/// </summary>
public sealed class LocalQueueListener(
    FunctionCatalog catalog,
    FunctionInvoker invoker,
    QueueServiceClient queues,
    StorageProvisioner provisioner,
    QueueWatcher watcher,
    QueueSettings settings,
    ILogger<LocalQueueListener> logger) : BackgroundService
{
    // A message is invisible while it runs; the lease is renewed for slow handlers, as the host does, and
    // lapses soon after a crash or an outage so that the message comes back.
    private static readonly TimeSpan ProcessingLease = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(catalog.QueueFunctions.Select(f => Task.Run(() => ListenAsync(f, stoppingToken), stoppingToken)));

    private async Task ListenAsync(QueueFunction function, CancellationToken stoppingToken)
    {
        var queue = queues.GetQueueClient(function.QueueName);
        var poison = queues.GetQueueClient(function.PoisonQueueName);
        var delay = MinPollingInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await provisioner.EnsureReadyAsync(stoppingToken);
                var received = (await queue.ReceiveMessagesAsync(settings.BatchSize, ProcessingLease, stoppingToken)).Value;
                if (received.Length > 0)
                {
                    await Task.WhenAll(received.Select(m => ProcessAsync(function, queue, poison, m, stoppingToken)));
                    delay = MinPollingInterval; // a hit: poll again at once
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Never let one bad poll stop the app (a BackgroundService exception stops the host): back off and retry.
                if (StorageFailure.IsMissingResource(ex)) provisioner.Invalidate();
                logger.LogWarning("Queue {Queue} could not be polled, backing off: {ErrorType}: {Error}",
                    function.QueueName, ex.GetType().Name, ex.Message);
            }

            await watcher.WaitAsync(function.QueueName, Jitter(delay), stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxPollingInterval.Ticks));
        }
    }

    private async Task ProcessAsync(QueueFunction function, QueueClient queue, QueueClient poison,
        Azure.Storage.Queues.Models.QueueMessage received, CancellationToken stoppingToken)
    {
        if (received.DequeueCount > settings.MaxDequeueCount)
        {
            await MoveToPoisonAsync(function, queue, poison, received, received.PopReceipt, stoppingToken);
            return;
        }
        var popReceipt = received.PopReceipt;
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = Task.Run(async () =>
        {
            while (!renewing.IsCancellationRequested)
            {
                await Task.Delay(RenewEvery, renewing.Token);
                var renewed = await queue.UpdateMessageAsync(received.MessageId, popReceipt, visibilityTimeout: ProcessingLease, cancellationToken: renewing.Token);
                popReceipt = renewed.Value.PopReceipt;
            }
        }, renewing.Token);
        try
        {
            try
            {
                await invoker.RunLocallyAsync(function, received, stoppingToken);
            }
            finally
            {
                await renewing.CancelAsync();
                try { await renewal; } catch (Exception) { /* a failed renewal only shortens the lease */ }
            }
            await queue.DeleteMessageAsync(received.MessageId, popReceipt, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the lease lapses and the message is delivered again.
        }
        catch (Exception ex)
        {
            if (StorageFailure.IsMissingResource(ex)) provisioner.Invalidate();
            try
            {
                if (received.DequeueCount >= settings.MaxDequeueCount)
                    await MoveToPoisonAsync(function, queue, poison, received, popReceipt, stoppingToken);
                else
                    await queue.UpdateMessageAsync(received.MessageId, popReceipt,
                        visibilityTimeout: settings.VisibilityTimeout, cancellationToken: stoppingToken);
            }
            catch (Exception releaseError) when (StorageFailure.IsUnavailable(releaseError))
            {
                // The lease lapses and the message comes back: nothing accepted is lost.
                logger.LogWarning("Could not release a failed message on {Queue}: {Error}", function.QueueName, releaseError.Message);
            }
        }
    }

    private async Task MoveToPoisonAsync(QueueFunction function, QueueClient queue, QueueClient poison,
        Azure.Storage.Queues.Models.QueueMessage received, string popReceipt, CancellationToken stoppingToken)
    {
        // Copy first, then delete: a crash in between duplicates into poison rather than losing the message.
        await poison.SendMessageAsync(received.Body, cancellationToken: stoppingToken);
        await queue.DeleteMessageAsync(received.MessageId, popReceipt, stoppingToken);
        Platform.Telemetry.Poisoned.Add(1, new KeyValuePair<string, object?>("queue", function.QueueName));
        logger.LogError("Message {MessageId} moved to {PoisonQueue} after {DequeueCount} attempts",
            received.MessageId, function.PoisonQueueName, received.DequeueCount);
    }

    private static TimeSpan Jitter(TimeSpan delay) =>
        TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + Random.Shared.NextDouble() * 0.5)));
}
