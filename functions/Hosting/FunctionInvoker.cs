using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Matching.Platform;

namespace Matching.Hosting;

/// <summary>
/// Runs queue and timer functions with their log scope, span and metrics. Both hosts call it: the local host
/// around its own call of the <c>[Function]</c> method, the worker's middleware around the worker's call.
/// </summary>
public sealed class FunctionInvoker(IServiceScopeFactory scopes, ILogger<FunctionInvoker> logger)
{
    /// <summary>What calling a method needs, worked out once per method rather than on every request.</summary>
    private sealed record Callable(ObjectFactory? Create, ParameterInfo[] Parameters, PropertyInfo? Result);

    private static readonly ConcurrentDictionary<MethodInfo, Callable> Callables = new();

    /// <summary>Calls a <c>[Function]</c> method as the worker would: the class from DI, each parameter from <paramref name="bind"/>.</summary>
    public static async Task<object?> CallAsync(MethodInfo method, IServiceProvider services, Func<ParameterInfo, object?> bind)
    {
        var callable = Callables.GetOrAdd(method, m => new Callable(
            m.IsStatic ? null : ActivatorUtilities.CreateFactory(m.DeclaringType!, Type.EmptyTypes),
            m.GetParameters(),
            m.ReturnType.IsGenericType && typeof(Task).IsAssignableFrom(m.ReturnType) ? m.ReturnType.GetProperty("Result") : null));
        var target = callable.Create?.Invoke(services, null);
        var args = new object?[callable.Parameters.Length];
        for (var i = 0; i < args.Length; i++) args[i] = bind(callable.Parameters[i]);
        object? returned;
        try { returned = method.Invoke(target, args); }
        catch (TargetInvocationException ex) when (ex.InnerException is not null) { ExceptionDispatchInfo.Throw(ex.InnerException); throw; }
        if (returned is not Task task) return returned;
        await task;
        return callable.Result?.GetValue(task);
    }

    /// <summary>The local host's queue delivery: the function in its own scope, its parameters from the message.</summary>
    public async Task RunLocallyAsync(QueueFunction function, Azure.Storage.Queues.Models.QueueMessage received, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await TrackQueueAsync(function, received.MessageId, received.DequeueCount, received.InsertedOn,
            () => CallAsync(function.Method, scope.ServiceProvider, p => LocalBindings.Queue(p, received, cancellationToken)), cancellationToken);
    }

    /// <summary>The local host's timer tick: the function in its own scope.</summary>
    public async Task RunLocallyAsync(TimerFunction function, Microsoft.Azure.Functions.Worker.TimerInfo timer, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await TrackTimerAsync(function, () => CallAsync(function.Method, scope.ServiceProvider, p => LocalBindings.Timer(p, timer, cancellationToken)), cancellationToken);
    }

    public async Task TrackQueueAsync(QueueFunction function, string messageId, long dequeueCount, DateTimeOffset? insertedOn,
        Func<Task> run, CancellationToken cancellationToken)
    {
        using var _ = logger.BeginScope(new LogScope(("FunctionName", function.Name), ("CorrelationId", messageId), ("DequeueCount", dequeueCount)));
        using var activity = Telemetry.Source.StartActivity($"queue {function.Name}", ActivityKind.Consumer);
        activity?.SetTag("faas.trigger", "pubsub");
        activity?.SetTag("messaging.destination.name", function.QueueName);
        activity?.SetTag("messaging.message.id", messageId);
        activity?.SetTag("matching.dequeue_count", dequeueCount);
        if (insertedOn is { } inserted)
            Telemetry.QueueLag.Record((DateTimeOffset.UtcNow - inserted).TotalMilliseconds, new KeyValuePair<string, object?>("function", function.Name));
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await run();
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
                function.Name, dequeueCount, ex.GetType().Name, ex.Message);
            throw;
        }
    }

    public async Task TrackTimerAsync(TimerFunction function, Func<Task> run, CancellationToken cancellationToken)
    {
        using var _ = logger.BeginScope(new LogScope(("FunctionName", function.Name), ("CorrelationId", Guid.NewGuid().ToString("N"))));
        using var activity = Telemetry.Source.StartActivity($"timer {function.Name}");
        activity?.SetTag("faas.trigger", "timer");
        try
        {
            await run();
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
