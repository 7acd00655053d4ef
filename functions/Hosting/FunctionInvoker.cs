using System.Diagnostics;
using Matching.Platform;

namespace Matching.Hosting;

/// <summary>Runs a queue or timer function in its own DI scope and log scope; both adapters call this.</summary>
public sealed class FunctionInvoker(IServiceScopeFactory scopes, ILogger<FunctionInvoker> logger)
{
    public async Task InvokeAsync(QueueFunction function, QueueMessage message, CancellationToken cancellationToken)
    {
        using var _ = logger.BeginScope(new Dictionary<string, object>
        {
            ["FunctionName"] = function.Name,
            ["CorrelationId"] = message.Id,
            ["DequeueCount"] = message.DequeueCount,
        });
        using var activity = Telemetry.Source.StartActivity($"queue {function.Name}", ActivityKind.Consumer);
        activity?.SetTag("faas.trigger", "pubsub");
        activity?.SetTag("messaging.destination.name", function.QueueName);
        activity?.SetTag("messaging.message.id", message.Id);
        activity?.SetTag("matching.dequeue_count", message.DequeueCount);
        if (message.InsertedOn is { } inserted)
            Telemetry.QueueLag.Record((DateTimeOffset.UtcNow - inserted).TotalMilliseconds, new KeyValuePair<string, object?>("function", function.Name));
        await using var scope = scopes.CreateAsyncScope();
        var handler = (IQueueHandler)scope.ServiceProvider.GetRequiredService(function.HandlerType);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await handler.HandleAsync(message, cancellationToken);
            Telemetry.QueueMessages.Add(1, new("function", function.Name), new("outcome", "succeeded"));
            logger.LogInformation("Queue function {FunctionName} handled a message in {ElapsedMs:0.0} ms",
                function.Name, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            Telemetry.QueueMessages.Add(1, new("function", function.Name), new("outcome", "failed"));
            // Exception type and message only: handlers never put personal data in exception messages.
            logger.LogWarning("Queue function {FunctionName} failed on attempt {DequeueCount}: {ErrorType}: {Error}",
                function.Name, message.DequeueCount, ex.GetType().Name, ex.Message);
            throw;
        }
    }

    public async Task InvokeAsync(TimerFunction function, TimerInfo timer, CancellationToken cancellationToken)
    {
        using var _ = logger.BeginScope(new Dictionary<string, object>
        {
            ["FunctionName"] = function.Name,
            ["CorrelationId"] = Guid.NewGuid().ToString("N"),
        });
        using var activity = Telemetry.Source.StartActivity($"timer {function.Name}");
        activity?.SetTag("faas.trigger", "timer");
        await using var scope = scopes.CreateAsyncScope();
        var handler = (ITimerHandler)scope.ServiceProvider.GetRequiredService(function.HandlerType);
        try
        {
            await handler.RunAsync(timer, cancellationToken);
            logger.LogDebug("Timer function {FunctionName} ran", function.Name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            logger.LogWarning("Timer function {FunctionName} failed: {ErrorType}: {Error}", function.Name, ex.GetType().Name, ex.Message);
            throw;
        }
    }
}
