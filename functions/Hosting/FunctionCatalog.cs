using System.Text.Json;

namespace Matching.Hosting;

/// <summary>A queue message as both adapters (host invocation and local listener) hand it to a handler.</summary>
public sealed record QueueMessage(string Id, string Body, long DequeueCount, DateTimeOffset? InsertedOn)
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

/// <summary>What a timer invocation knows, the same shape as the host's <c>Data.timer</c>.</summary>
public sealed record TimerInfo(bool IsPastDue, DateTimeOffset? Last, DateTimeOffset? Next);

public interface IQueueHandler
{
    /// <summary>Delivery is at-least-once: every implementation must be idempotent.</summary>
    Task HandleAsync(QueueMessage message, CancellationToken cancellationToken);
}

public interface ITimerHandler
{
    Task RunAsync(TimerInfo timer, CancellationToken cancellationToken);
}

/// <summary>The one declaration of a queue function: its name (the function folder) and its queue.</summary>
public sealed record QueueFunction(string Name, string QueueName, Type HandlerType)
{
    public string PoisonQueueName => QueueName + "-poison";
}

/// <summary>The one declaration of a timer function, with its six-field NCRONTAB schedule.</summary>
public sealed record TimerFunction(string Name, string Schedule, Type HandlerType, bool RunOnStartup = false);

/// <summary>
/// Every queue and timer function of the app. HTTP functions are the app's named routes under /api;
/// together they are the function list the deployable package is generated from.
/// </summary>
public sealed class FunctionCatalog
{
    private readonly Dictionary<string, QueueFunction> _queues;
    private readonly Dictionary<string, TimerFunction> _timers;

    public FunctionCatalog(IEnumerable<QueueFunction> queues, IEnumerable<TimerFunction> timers)
    {
        QueueFunctions = queues.ToArray();
        TimerFunctions = timers.ToArray();
        var names = QueueFunctions.Select(q => q.Name).Concat(TimerFunctions.Select(t => t.Name)).ToArray();
        var duplicate = names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Function name '{duplicate.Key}' is declared more than once.");
        foreach (var name in names) FunctionNames.EnsureValid(name);
        foreach (var timer in TimerFunctions) Ncrontab.Parse(timer.Schedule); // fail at start-up, not at first tick
        _queues = QueueFunctions.ToDictionary(q => q.Name, StringComparer.OrdinalIgnoreCase);
        _timers = TimerFunctions.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<QueueFunction> QueueFunctions { get; }
    public IReadOnlyList<TimerFunction> TimerFunctions { get; }

    public QueueFunction? FindQueueFunction(string name) => _queues.GetValueOrDefault(name);
    public TimerFunction? FindTimerFunction(string name) => _timers.GetValueOrDefault(name);
}

public static class FunctionNames
{
    // The host's rule for function (folder) names.
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 127 && char.IsAsciiLetter(name[0]) &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    public static void EnsureValid(string name)
    {
        if (!IsValid(name)) throw new InvalidOperationException($"'{name}' is not a valid Azure Functions name.");
    }
}

public static class FunctionRegistration
{
    public static IServiceCollection AddQueueFunction<THandler>(this IServiceCollection services, string name, string queueName)
        where THandler : class, IQueueHandler
    {
        services.AddSingleton(new QueueFunction(name, queueName, typeof(THandler)));
        services.AddScoped<THandler>();
        return services;
    }

    public static IServiceCollection AddTimerFunction<THandler>(this IServiceCollection services, string name, string schedule)
        where THandler : class, ITimerHandler
    {
        services.AddSingleton(new TimerFunction(name, schedule, typeof(THandler)));
        services.AddScoped<THandler>();
        return services;
    }
}
