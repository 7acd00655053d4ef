using Matching.Security;
using System.Reflection;
using Microsoft.AspNetCore.Authorization;

namespace Matching.Hosting;

/// <summary>An HTTP function: its <c>[Function]</c> method, route (an API's starts with api/, a page's does not) and methods.</summary>
public sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods, MethodInfo Method)
{
    public bool IsAnonymous { get; } = Method.IsDefined(typeof(AllowAnonymousAttribute)) || Method.DeclaringType!.IsDefined(typeof(AllowAnonymousAttribute));

    /// <summary>The roles that may call it, from <see cref="RequireRolesAttribute"/> on the method or its class.</summary>
    /// <remarks>This and <see cref="EndpointMetadata"/> are read on first use, not when the catalog is built: that is on a cold
    /// start's path, and instantiating every function's attributes (the OpenAPI ones above all) is most of its cost.</remarks>
    public IReadOnlySet<Security.Role> Roles => field ??=
        (Method.GetCustomAttribute<RequireRolesAttribute>() ?? Method.DeclaringType!.GetCustomAttribute<RequireRolesAttribute>())?.Roles.ToHashSet()
        ?? [];

    /// <summary>A learner's personal access link may call it (<see cref="AccessLinkAttribute"/>).</summary>
    public bool AllowsAccessLink { get; } = Method.IsDefined(typeof(AccessLinkAttribute));

    /// <summary>Any signed-in person may call it, member of an organisation or not yet (<see cref="SignedInAttribute"/>).</summary>
    public bool SignedInOnly { get; } = Method.IsDefined(typeof(SignedInAttribute));

    /// <summary>Who may open it when it is a page (<see cref="PageAttribute"/>); null for the API's endpoints.</summary>
    public PageAccess? Page { get; } = Method.GetCustomAttribute<PageAttribute>()?.Access;

    public long BodyLimitBytes { get; } = Method.GetCustomAttribute<Platform.BodySizeLimitAttribute>()?.Bytes ?? Platform.RequestLimits.DefaultBodyBytes;

    /// <summary>What describes it in the OpenAPI document: the class's and the method's attributes, then the method itself.</summary>
    public IReadOnlyList<object> EndpointMetadata => field ??=
        [.. Method.DeclaringType!.GetCustomAttributes(inherit: true), .. Method.GetCustomAttributes(inherit: true), Method];
}

/// <summary>A queue function and the queue it reads.</summary>
public sealed record QueueFunction(string Name, string QueueName, MethodInfo Method)
{
    public string PoisonQueueName => Storage.QueueDeclaration.PoisonName(QueueName);
}

/// <summary>A timer function; <see cref="Schedule"/> is as declared, usually an app setting such as <c>%X%</c>.</summary>
public sealed record TimerFunction(string Name, string Schedule, MethodInfo Method, bool RunOnStartup);

/// <summary>
/// Every function of the app, read from its <c>[Function]</c> methods and their trigger attributes: the same
/// declarations the worker SDK turns into functions.metadata. The local host serves exactly these.
/// </summary>
public sealed class FunctionCatalog
{
    public FunctionCatalog(Assembly assembly)
    {
        var http = new List<HttpFunction>();
        var queues = new List<QueueFunction>();
        var timers = new List<TimerFunction>();
        // Functions are public methods of public classes (the worker SDK's generator asks the same): the compiler's own
        // types, most of the assembly's, are not worth reflecting over on a cold start's path.
        var methods = assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.IsDefined(typeof(FunctionAttribute), inherit: false)) // cheaper than reading every method's attributes
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
            .OrderBy(x => x.Function!.Name, StringComparer.Ordinal);
        foreach (var (method, function) in methods)
        {
            var name = function!.Name;
            if (!FunctionNames.IsValid(name)) throw new InvalidOperationException($"'{name}' is not a valid Azure Functions name.");
            var attributes = method.GetParameters().SelectMany(p => p.GetCustomAttributes()).ToArray();
            switch (attributes.OfType<HttpTriggerAttribute>().FirstOrDefault(), attributes.OfType<QueueTriggerAttribute>().FirstOrDefault(),
                attributes.OfType<TimerTriggerAttribute>().FirstOrDefault())
            {
                case ({ } h, null, null):
                    http.Add(new HttpFunction(name, h.Route ?? name, (h.Methods ?? []).Select(m => m.ToUpperInvariant()).ToArray(), method));
                    break;
                case (null, { } q, null):
                    queues.Add(new QueueFunction(name, q.QueueName, method));
                    break;
                case (null, null, { } t):
                    timers.Add(new TimerFunction(name, t.Schedule, method, t.RunOnStartup));
                    break;
                default:
                    throw new InvalidOperationException($"Function {name} needs exactly one HTTP, queue or timer trigger.");
            }
        }
        var duplicate = http.Select(f => f.Name).Concat(queues.Select(q => q.Name)).Concat(timers.Select(t => t.Name))
            .GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Function name '{duplicate.Key}' is declared more than once.");
        HttpFunctions = http;
        QueueFunctions = queues;
        TimerFunctions = timers;
        _byName = http.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        _queuesByName = queues.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        _timersByName = timers.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
    }

    private readonly Dictionary<string, HttpFunction> _byName;
    private readonly Dictionary<string, QueueFunction> _queuesByName;
    private readonly Dictionary<string, TimerFunction> _timersByName;

    public static FunctionCatalog App { get; } = new(typeof(FunctionCatalog).Assembly);

    public IReadOnlyList<HttpFunction> HttpFunctions { get; }
    public IReadOnlyList<QueueFunction> QueueFunctions { get; }
    public IReadOnlyList<TimerFunction> TimerFunctions { get; }

    public HttpFunction? FindHttp(string name) => _byName.GetValueOrDefault(name);
    public QueueFunction? FindQueue(string name) => _queuesByName.GetValueOrDefault(name);
    public TimerFunction? FindTimer(string name) => _timersByName.GetValueOrDefault(name);

    /// <summary>Resolves <c>%Name%</c> from settings, as the Functions host does with app settings.</summary>
    public static string Resolve(string value, IConfiguration configuration)
    {
        if (value.Length < 3 || value[0] != '%' || value[^1] != '%') return value;
        var key = value[1..^1];
        return configuration[key] is { Length: > 0 } setting
            ? setting
            : throw new InvalidOperationException($"The app setting '{key}' is required (it is used as {value}).");
    }
}

public static class FunctionNames
{
    // The host's rule for function names.
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 127 && char.IsAsciiLetter(name[0]) &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}

