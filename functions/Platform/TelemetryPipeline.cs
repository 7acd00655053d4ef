using System.Diagnostics;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Matching.Platform;

/// <summary>
/// The OpenTelemetry pipeline: traces, metrics and logs, exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
/// set, to Application Insights (with Entra ID, as local auth is off) when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>
/// is set, nowhere otherwise. Tags carry ids and counts, never names, emails, notes or tokens; query strings stay redacted.
/// It is built in its own service container once the app has started, on a background thread, and then takes over what
/// <see cref="EarlyTelemetry"/> held; disposing it (when the app stops) flushes what is left to the exporter.
/// </summary>
public sealed class TelemetryPipeline(IConfiguration configuration, bool underFunctionsHost, EarlyTelemetry early,
    IHostApplicationLifetime lifetime, ILogger<TelemetryPipeline> logger) : IHostedService, IAsyncDisposable
{
    private readonly TaskCompletionSource<ServiceProvider?> _built = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _building;

    /// <summary>
    /// How long after start-up the pipeline is built: long enough for a cold instance's first request to be answered
    /// without sharing the machine with it (docs/benchmarks.md, issue 19), short enough that little is held meanwhile.
    /// </summary>
    public static TimeSpan StartDelay(IConfiguration configuration) => TimeSpan.FromMilliseconds(configuration.GetValue("Matching:Telemetry:StartDelayMs", 2000));

    public static bool HasExporter(IConfiguration configuration) => ExporterName(configuration) is not "nowhere";

    private static string ExporterName(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ? "OTLP"
        : !string.IsNullOrWhiteSpace(configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]) ? "Application Insights"
        : "nowhere";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            await Task.Delay(StartDelay(configuration));
            if (Interlocked.Exchange(ref _building, 1) == 1) return;
            try
            {
                _built.TrySetResult(Build(configuration, underFunctionsHost, early));
                logger.LogInformation("Telemetry started, exporting to {Exporter}; {Held} spans, measurements and log records from before were handed over",
                    ExporterName(configuration), early.Held);
                if (early.Dropped > 0)
                    logger.LogWarning("{Dropped} spans, measurements or log records were dropped before telemetry started (more than {Capacity} held)",
                        early.Dropped, EarlyTelemetry.Capacity);
            }
            catch (Exception e)
            {
                // Telemetry must never stop the app.
                early.Dispose();
                _built.TrySetResult(null);
                logger.LogError(e, "Telemetry could not start: {Error}", e.Message);
            }
        }));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _building, 1) == 0) _built.TrySetResult(null); // stopped before it started: nothing to flush
        if (await Task.WhenAny(_built.Task, Task.Delay(Timeout.Infinite, cancellationToken)) == _built.Task && _built.Task.Result is { } pipeline)
            await pipeline.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_built.Task.IsCompletedSuccessfully && _built.Task.Result is { } pipeline) await pipeline.DisposeAsync();
    }

    /// <summary>Builds the pipeline, hands <paramref name="early"/>'s records to it, and returns its container (which owns it).</summary>
    /// <param name="export">The exporters; null for those the settings choose. The tests give in-memory ones.</param>
    public static ServiceProvider Build(IConfiguration configuration, bool underFunctionsHost, EarlyTelemetry early, Action<IOpenTelemetryBuilder>? export = null)
    {
        var handOff = new SpanHandOff(early);
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("matching-api", serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString()))
            // The hand-off first: every processor added after it joins it (the SDK adds processors to its first composite).
            .WithTracing(t => t
                .AddProcessor(handOff)
                .AddSource(Telemetry.Name)
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.Filter = http => http.Request.Path != "/"; // readiness polls
                    o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("client.address", null);
                })
                .AddHttpClientInstrumentation())
            .WithMetrics(m => m.AddMeter(Telemetry.Meters))
            .WithLogging(l => l.AddProcessor(new HeldLogTimes()));

        // The worker's sources and resource; its registrations for the app are made by Telemetry.AddMatchingTelemetry.
        if (underFunctionsHost) otel.UseFunctionsWorkerDefaults();

        if (export is not null) export(otel);
        else if (ExporterName(configuration) is "OTLP") otel.UseOtlpExporter();
        else if (ExporterName(configuration) is "Application Insights")
        {
            // Entra ID authentication: the app's user-assigned identity (AZURE_CLIENT_ID) has Monitoring Metrics Publisher.
            var credential = configuration["AZURE_CLIENT_ID"] is { Length: > 0 } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
            // One exporter for the three signals (one transmitter, one offline store), and no live metrics stream.
            otel.UseAzureMonitorExporter(o =>
            {
                o.ConnectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
                o.Credential = credential;
                o.EnableLiveMetrics = false;
            });
        }

        var pipeline = services.BuildServiceProvider();
        pipeline.GetRequiredService<TracerProvider>();
        pipeline.GetRequiredService<MeterProvider>();
        early.HandOver(handOff.Replay, pipeline.GetServices<ILoggerProvider>().OfType<OpenTelemetryLoggerProvider>().Single());
        return pipeline;
    }

    /// <summary>
    /// The pipeline's first span processor, which the others join: it lets the held spans in (<see cref="Replay"/>) and
    /// takes a held span only once when it also arrives from the pipeline's own listener.
    /// </summary>
    private sealed class SpanHandOff(EarlyTelemetry early) : CompositeProcessor<Activity>([new Nothing()])
    {
        public void Replay(Activity span) => base.OnEnd(span);

        public override void OnEnd(Activity data)
        {
            if (early.FirstEnd(data)) base.OnEnd(data);
        }

        private sealed class Nothing : BaseProcessor<Activity>;
    }

    /// <summary>The pipeline's first log processor: a record held before the pipeline existed keeps its time and span.</summary>
    private sealed class HeldLogTimes : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data)
        {
            if (DeferredLoggerProvider.Replaying is not { } held) return;
            data.Timestamp = held.At;
            data.TraceId = held.Span.TraceId;
            data.SpanId = held.Span.SpanId;
            data.TraceFlags = held.Span.TraceFlags;
        }
    }
}
