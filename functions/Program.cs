using System.Text.Json.Serialization;
using Matching.Demo;
using Matching.Diagnostics;
using Matching.Health;
using Matching.Hosting;
using Matching.Learners;
using Matching.Organisations;
using Matching.Mentoring;
using Matching.Notifications;
using Matching.Offers;
using Matching.Pages;
using Matching.Platform;
using Matching.Reports;
using Matching.Security;
using Matching.Storage;
using Microsoft.Azure.Functions.Worker.Builder;

// Under the Functions host: the isolated worker, with ASP.NET Core integration for HTTP functions.
if (HostingSetup.StartedByFunctionsHost(args))
{
    var worker = FunctionsApplication.CreateBuilder(args);
    worker.ConfigureFunctionsWebApplication();
    worker.UseMiddleware<WorkerFunctionMiddleware>();
    worker.Services.AddMatching(worker.Configuration, underFunctionsHost: true).AddWorkerHosting();
    await worker.Build().RunAsync();
    return 0;
}

// The hosts take options only: a first word that is not one is a command, and the commands are a tool of their own.
if (args.Length > 0 && !args[0].StartsWith('-'))
{
    Console.Error.WriteLine($"'{args[0]}' is not an option of the app; the commands are in tools/Matching.Commands (scripts/matching.sh --help).");
    return 1;
}

// Anywhere else: the local host (scripts/run.sh, the tests).
await LocalApp(args).RunAsync();
return 0;

static WebApplication LocalApp(string[] args)
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        Args = args,
        // Settings and host.json sit beside the binaries, wherever the process was started from.
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.Logging.ClearProviders();
    if (builder.Configuration.GetValue("Matching:JsonLogs", false)) builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; });
    else builder.Logging.AddConsole(o => o.FormatterName = LineFormatter.Name).AddConsoleFormatter<LineFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
    builder.AddLocalHosting();
    builder.Services.AddMatching(builder.Configuration, underFunctionsHost: false);

    var app = builder.Build();
    app.UseCorrelation();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.MapReadiness();
    app.MapHttpFunctions();
    return app;
}

/// <summary>Visible to the functional tests' WebApplicationFactory.</summary>
public partial class Program;

internal static class AppServices
{
    /// <summary>Everything the functions use, the same in both hosts.</summary>
    public static IServiceCollection AddMatching(this IServiceCollection services, IConfiguration configuration, bool underFunctionsHost)
    {
        services.AddSingleton(TimeProvider.System);
        services.ConfigureHttpJsonOptions(o =>
        {
            // Enum values by name only: a number ({"reason":0}) is a 400 naming the field, not the first value.
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase, allowIntegerValues: false));
            // Misspelt fields are rejected with a 400 naming them, not silently ignored.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            // Missing required fields and nulls in non-nullable ones are 400s naming the field.
            o.SerializerOptions.RespectNullableAnnotations = true;
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
            // Numbers are numbers (no "12" or "NaN" strings), names match exactly, and a key given twice is refused:
            // a proxy or a log that reads the first of two keys must see what the app acts on.
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.PropertyNameCaseInsensitive = false;
            o.SerializerOptions.AllowDuplicateProperties = false;
            o.SerializerOptions.Converters.Add(new OffsetRequiredConverter());
        });
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddFunctionRuntime();
        services.AddMatchingStorage(configuration);
        services.AddMatchingAuth(configuration);
        services.AddMatchingOpenApi();
        services.AddSingleton<StorageHealth>();
        services.AddAbuseLimits();
        services.AddTable(AuditTrail.Table).AddSingleton<AuditTrail>();
        services.AddMatchingTelemetry(configuration, underFunctionsHost);

        // Features
        services.AddDiagnosticPings();
        services.AddOrganisations();
        services.AddNotifications(configuration);
        services.AddLearners();
        services.AddOffers();
        services.AddMentoring();
        services.AddReports();
        services.AddDemoData(configuration, underFunctionsHost);
        services.AddPages(configuration);
        return services;
    }
}
