using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Azure.Functions.Worker.Diagnostics;

namespace Matching.Platform;

/// <summary>
/// The app's span source and instruments, and what telemetry reads. Tags carry ids and counts, never names, emails,
/// notes or tokens. The pipeline that exports them, and where to, is <see cref="TelemetryPipeline"/>.
/// </summary>
public static class Telemetry
{
    public const string Name = "Matching";
    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Claims = Meter.CreateCounter<long>("matching.claims", "{claim}", "Seat claims decided, by outcome.");
    public static readonly Counter<long> QueueMessages = Meter.CreateCounter<long>("matching.queue.messages", "{message}", "Queue messages handled, by function and outcome.");
    public static readonly Counter<long> Poisoned = Meter.CreateCounter<long>("matching.queue.poisoned", "{message}", "Messages moved to a poison queue (local host; on Azure the Functions host moves them).");
    public static readonly Counter<long> Proposals = Meter.CreateCounter<long>("matching.proposals", "{proposal}", "Mentor proposals stored, by scorer.");
    public static readonly Histogram<double> MatchDuration = Meter.CreateHistogram<double>("matching.match.duration", "ms", "Filter, features and scoring for one request.");
    public static readonly Histogram<double> QueueLag = Meter.CreateHistogram<double>("matching.queue.lag", "ms", "Time from enqueue to the start of handling.");
    public static readonly Histogram<double> NoticeLatency = Meter.CreateHistogram<double>("matching.notice.latency", "ms",
        "From the change a notice reports to its mail handed to SMTP or its webhook answered, by channel.");

    /// <summary>Where the app's spans come from: its own, and what the ASP.NET Core, HttpClient and Functions worker instrumentation listen to.</summary>
    public static readonly string[] SpanSources = [Name, "Microsoft.AspNetCore", "System.Net.Http", "Microsoft.Azure.Functions.Worker"];

    /// <summary>The meters read: the app's, ASP.NET Core's and HttpClient's (what their OpenTelemetry instrumentation adds on .NET 8 and later).</summary>
    public static readonly string[] Meters =
    [
        Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics", "Microsoft.AspNetCore.RateLimiting", "System.Net.Http", "System.Net.NameResolution",
    ];

    /// <summary>
    /// Registers telemetry without building it: the OpenTelemetry pipeline is built by <see cref="TelemetryPipeline"/>
    /// once the app has started, and <see cref="EarlyTelemetry"/> keeps what happens until then.
    /// </summary>
    public static IServiceCollection AddMatchingTelemetry(this IServiceCollection services, IConfiguration configuration, bool underFunctionsHost)
    {
        // With nowhere to send them, spans and metrics are not collected at all. Matching:Telemetry:Enabled forces it either way.
        if (!configuration.GetValue("Matching:Telemetry:Enabled", TelemetryPipeline.HasExporter(configuration))) return services;
        // Before the pipeline: every span, every log record, and the app's own measurements. ASP.NET Core's and
        // HttpClient's meters are read from when the pipeline starts: their first seconds of a cold start are not kept.
        services.AddSingleton(_ => new EarlyTelemetry(SpanSources, [Name]));
        services.AddSingleton<ILoggerProvider>(sp => sp.GetRequiredService<EarlyTelemetry>().Logs);
        services.AddHostedService(sp => new TelemetryPipeline(configuration, underFunctionsHost, sp.GetRequiredService<EarlyTelemetry>(),
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<TelemetryPipeline>>()));
        if (underFunctionsHost)
        {
            // What the worker's UseFunctionsWorkerDefaults registers in the app (Microsoft.Azure.Functions.Worker.OpenTelemetry 1.2.0),
            // done here because that call would build the pipeline's registrations at start: the host stops emitting the
            // worker's telemetry on its behalf, spans follow its schema, and the host's baggage reaches the invocation.
            services.Configure<WorkerOptions>(o =>
            {
                o.Capabilities["WorkerOpenTelemetryEnabled"] = bool.TrueString;
                o.Capabilities["WorkerOpenTelemetrySchemaVersion"] = "1.37.0";
            });
            services.AddSingleton<IBaggagePropagator, HostBaggage>();
        }
        return services;
    }

    private sealed class HostBaggage : IBaggagePropagator
    {
        public IDisposable? SetBaggage(IEnumerable<KeyValuePair<string, string>> baggage)
        {
            foreach (var (key, value) in baggage) OpenTelemetry.Baggage.SetBaggage(key, value);
            return new Cleared();
        }

        private sealed class Cleared : IDisposable
        {
            public void Dispose() => OpenTelemetry.Baggage.ClearBaggage();
        }
    }
}
