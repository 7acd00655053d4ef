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
        await using var scope = scopes.CreateAsyncScope();
        var handler = (IQueueHandler)scope.ServiceProvider.GetRequiredService(function.HandlerType);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await handler.HandleAsync(message, cancellationToken);
            logger.LogInformation("Queue function {FunctionName} handled a message in {ElapsedMs:0.0} ms",
                function.Name, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
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
        await using var scope = scopes.CreateAsyncScope();
        var handler = (ITimerHandler)scope.ServiceProvider.GetRequiredService(function.HandlerType);
        try
        {
            await handler.RunAsync(timer, cancellationToken);
            logger.LogDebug("Timer function {FunctionName} ran", function.Name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Timer function {FunctionName} failed: {ErrorType}: {Error}", function.Name, ex.GetType().Name, ex.Message);
            throw;
        }
    }
}
