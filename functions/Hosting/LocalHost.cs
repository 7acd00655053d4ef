using System.Reflection;

namespace Matching.Hosting;

/// <summary>
/// The local host: serves the app's HTTP functions as routes of a plain ASP.NET Core app (the API's under /api, the
/// pages' at the root: host.json's route prefix is empty and each API route names its /api), reading
/// the same <c>[Function]</c> and trigger attributes the worker SDK reads. Queue and timer functions are run
/// by <see cref="LocalQueueListener"/> and <see cref="LocalTimerScheduler"/>. There is no FunctionContext here:
/// functions never take one.
/// </summary>
public static class LocalHost
{
    public static void MapHttpFunctions(this IEndpointRouteBuilder app)
    {
        foreach (var function in app.ServiceProvider.GetRequiredService<FunctionCatalog>().HttpFunctions)
        {
            foreach (var p in function.Method.GetParameters())
                if (!IsBindable(p, function.Route))
                    throw new InvalidOperationException($"{function.Name}: parameter '{p.Name}' cannot be bound (HttpRequest, CancellationToken or a route value).");
            var endpoint = app.MapMethods($"/{function.Route}", function.Methods, context => InvokeAsync(context, function))
                .WithName(function.Name)
                .WithMetadata([.. function.EndpointMetadata]);
            if (function.Page is not null) endpoint.ExcludeFromDescription(); // pages are not the API
        }
    }

    private static Task InvokeAsync(HttpContext context, HttpFunction function) =>
        context.RequestServices.GetRequiredService<HttpFunctionGate>().RunAsync(context, function, async () =>
            await FunctionInvoker.CallAsync(function.Method, context.RequestServices, p => Http(p, context)) as IResult);

    private static bool IsBindable(ParameterInfo p, string route) =>
        p.ParameterType == typeof(HttpRequest) || p.ParameterType == typeof(CancellationToken)
        || p.ParameterType == typeof(string) && route.Contains('{' + p.Name + '}', StringComparison.Ordinal);

    private static object? Http(ParameterInfo p, HttpContext context) =>
        p.ParameterType == typeof(HttpRequest) ? context.Request
        : p.ParameterType == typeof(CancellationToken) ? context.RequestAborted
        : context.Request.RouteValues[p.Name!] as string;
}

/// <summary>How the local host fills queue and timer parameters: as the Functions host's binding data does.</summary>
public static class LocalBindings
{
    public static object? Queue(ParameterInfo p, Azure.Storage.Queues.Models.QueueMessage received, CancellationToken cancellationToken)
    {
        if (p.IsDefined(typeof(QueueTriggerAttribute))) return p.ParameterType == typeof(string) ? received.Body.ToString() : received.Body;
        if (p.ParameterType == typeof(CancellationToken)) return cancellationToken;
        return p.Name?.ToLowerInvariant() switch
        {
            "id" => received.MessageId,
            "dequeuecount" => received.DequeueCount,
            "insertiontime" => received.InsertedOn,
            _ => throw new InvalidOperationException($"Queue function parameter '{p.Name}' has no binding."),
        };
    }

    public static object? Timer(ParameterInfo p, TimerInfo timer, CancellationToken cancellationToken) =>
        p.ParameterType == typeof(TimerInfo) ? timer
        : p.ParameterType == typeof(CancellationToken) ? cancellationToken
        : throw new InvalidOperationException($"Timer function parameter '{p.Name}' has no binding.");
}
