using Matching.Storage;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Matching.Hosting;

/// <summary>
/// Two hosts, one set of functions. Started by the Functions host (with <c>--functions-uri</c>) the app is an
/// isolated worker; started any other way it is the local host on http://localhost:7071, which serves the same
/// <c>[Function]</c> methods and runs queue and timer functions with the semantics of the same host.json.
/// </summary>
public static class HostingSetup
{
    public const string DefaultLocalUrl = "http://localhost:7071";

    public static bool StartedByFunctionsHost(string[] args) =>
        args.Contains("--functions-uri", StringComparer.Ordinal)
        || Environment.GetEnvironmentVariable("Functions__Worker__HostEndpoint") is { Length: > 0 };

    /// <summary>What both hosts need to run functions.</summary>
    public static IServiceCollection AddFunctionRuntime(this IServiceCollection services)
    {
        // The catalog reflects over the app's types (about 30 ms): it is read on first use (or by the warm-up), not here.
        services.AddSingleton(_ => FunctionCatalog.App);
        services.AddQueues(() => FunctionCatalog.App.QueueFunctions.Select(q => q.QueueName)); // Storage creates what the functions read
        services.AddHostedService<WarmUp>();
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<HttpFunctionGate>();
        services.AddSingleton<PageGate>();
        services.AddSingleton<QueueWatcher>();
        return services;
    }

    /// <summary>The worker: the gate around HTTP functions, telemetry around queue and timer functions, and the
    /// functions described (not routed) for the OpenAPI document.</summary>
    public static IServiceCollection AddWorkerHosting(this IServiceCollection services)
    {
        services.AddSingleton<EndpointDataSource, FunctionDescriptions>();
        return services;
    }

    /// <summary>The local host: Kestrel on the local URL, the queue listener and timers unless turned off.</summary>
    public static WebApplicationBuilder AddLocalHosting(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
            builder.WebHost.UseUrls(builder.Configuration["Matching:LocalUrl"] is { Length: > 0 } url ? url : DefaultLocalUrl);
        var hostJson = builder.Configuration["Matching:HostJsonPath"] is { Length: > 0 } path
            ? path
            : Path.Combine(AppContext.BaseDirectory, "host.json");
        builder.Services.AddSingleton(_ => HostJson.ReadQueueSettings(hostJson));
        if (builder.Configuration.GetValue("Matching:LocalListeners", defaultValue: true))
        {
            builder.Services.AddHostedService<LocalQueueListener>();
            builder.Services.AddHostedService<LocalTimerScheduler>();
        }
        return builder;
    }

    /// <summary>GET / answers as soon as the local host is up (scripts wait for it); not a function.</summary>
    public static void MapReadiness(this IEndpointRouteBuilder app) =>
        app.MapGet("/", () => Results.Text("Matching is running. API reference: /api/docs", "text/plain"))
            .ExcludeFromDescription();
}

/// <summary>The worker's middleware: runs the same gate and telemetry as the local host around each invocation.</summary>
public sealed class WorkerFunctionMiddleware(FunctionCatalog catalog, HttpFunctionGate gate, FunctionInvoker invoker) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var name = context.FunctionDefinition.Name;
        if (catalog.FindHttp(name) is { } http)
        {
            var httpContext = context.GetHttpContext() ?? throw new InvalidOperationException($"{name} has no HTTP context.");
            await gate.RunAsync(httpContext, http, async () =>
            {
                await next(context);
                return context.GetInvocationResult().Value as IResult;
            });
            // The gate has answered; nothing is left for the worker's own result handling to write.
            context.GetInvocationResult().Value = Results.Empty;
        }
        else if (catalog.FindQueue(name) is { } queue)
        {
            var data = context.BindingContext.BindingData;
            var id = data.TryGetValue("Id", out var i) ? i?.ToString() ?? "" : "";
            var dequeueCount = data.TryGetValue("DequeueCount", out var d) && long.TryParse(d?.ToString(), out var n) ? n : 1;
            DateTimeOffset? inserted = data.TryGetValue("InsertionTime", out var t) && DateTimeOffset.TryParse(t?.ToString()?.Trim('"'),
                System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var when) ? when : null;
            await invoker.TrackQueueAsync(queue, id, dequeueCount, inserted, () => next(context), context.CancellationToken);
        }
        else if (catalog.FindTimer(name) is { } timer)
        {
            await invoker.TrackTimerAsync(timer, () => next(context), context.CancellationToken);
        }
        else
        {
            await next(context);
        }
    }
}

/// <summary>
/// The HTTP functions as endpoints that are described but never matched: in the worker, the OpenAPI document
/// is built from them (the worker routes requests with its own endpoints, which carry no description). Pages are
/// not the API: they are left out.
/// </summary>
public sealed class FunctionDescriptions(FunctionCatalog catalog) : EndpointDataSource
{
    private IReadOnlyList<Endpoint>? _endpoints;

    public override IReadOnlyList<Endpoint> Endpoints => _endpoints ??= catalog.HttpFunctions.Where(f => f.Page is null).Select(f =>
    {
        var builder = new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse($"/{f.Route}"), 0)
        {
            DisplayName = f.Name,
        };
        builder.Metadata.Add(new HttpMethodMetadata(f.Methods));
        builder.Metadata.Add(new EndpointNameMetadata(f.Name));
        foreach (var item in f.EndpointMetadata) builder.Metadata.Add(item);
        builder.Metadata.Add(new SuppressMatchingMetadata());
        return builder.Build();
    }).ToList();

    public override Microsoft.Extensions.Primitives.IChangeToken GetChangeToken() => Microsoft.Extensions.FileProviders.NullChangeToken.Singleton;
}
