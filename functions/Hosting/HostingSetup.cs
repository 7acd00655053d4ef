using System.Net;
using Matching.Storage;

namespace Matching.Hosting;

/// <summary>
/// Under the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT set) the app binds 127.0.0.1:{port} and the host
/// delivers queue and timer invocations. Otherwise (local mode) it listens like <c>func start</c> and runs
/// its own queue listener and timer scheduler, with the semantics of the same host.json.
/// </summary>
public static class HostingSetup
{
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";
    public const string DefaultLocalUrl = "http://localhost:7071";

    public static bool UnderFunctionsHost => Environment.GetEnvironmentVariable(PortVariable) is { Length: > 0 };

    public static WebApplicationBuilder AddFunctionsHosting(this WebApplicationBuilder builder)
    {
        if (Environment.GetEnvironmentVariable(PortVariable) is { Length: > 0 } portText)
        {
            if (!int.TryParse(portText, out var port) || port is < 1 or > 65535)
                throw new InvalidOperationException($"{PortVariable} must be a TCP port, not '{portText}'.");
            // Explicit Listen wins over inherited ASPNETCORE_URLS / HTTP_PORTS.
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        }
        else if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(builder.Configuration["Matching:LocalUrl"] is { Length: > 0 } url ? url : DefaultLocalUrl);
        }

        var hostJson = builder.Configuration["Matching:HostJsonPath"] is { Length: > 0 } path
            ? path
            : Path.Combine(AppContext.BaseDirectory, "host.json");
        builder.Services.AddSingleton(_ => HostJson.ReadQueueSettings(hostJson));
        builder.Services.AddSingleton<FunctionCatalog>();
        builder.Services.AddSingleton<FunctionInvoker>();
        builder.Services.AddSingleton<QueueWatcher>();

        var localListeners = builder.Configuration.GetValue("Matching:LocalListeners", defaultValue: true);
        if (!UnderFunctionsHost && localListeners)
        {
            builder.Services.AddHostedService<LocalQueueListener>();
            builder.Services.AddHostedService<LocalTimerScheduler>();
        }
        return builder;
    }

    /// <summary>GET / answers as soon as the server is up: the host polls it for readiness.</summary>
    public static void MapReadiness(this IEndpointRouteBuilder app) =>
        app.MapGet("/", () => Results.Text("Matching is running. API reference: /api/docs", "text/plain"))
            .ExcludeFromDescription()
            .WithMetadata(new ExcludeFromFunctionPackage())
            .AllowAnonymous();

    /// <summary>Invocation routes are for the local Functions host only.</summary>
    public static IApplicationBuilder UseLoopbackOnlyRoutes(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<LoopbackOnly>() is not null
            && context.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await next(context);
    });
}
