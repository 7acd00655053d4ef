using System.Diagnostics;
using System.Diagnostics.Metrics;
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
/// OpenTelemetry traces, metrics and logs. The exporter is chosen by settings: OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, Application Insights (with Entra ID, as local auth is off) when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, none otherwise. Tags carry ids and counts, never names,
/// emails, notes or tokens; query strings stay redacted.
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

    public static IServiceCollection AddMatchingTelemetry(this IServiceCollection services, IConfiguration configuration, bool underFunctionsHost)
    {
        var otlp = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var appInsights = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        // With nowhere to send them, spans and metrics are not collected at all: the SDK and its instrumentation
        // cost about 40 ms of the worker's start (docs/benchmarks.md). Matching:Telemetry:Enabled forces it either way.
        var exporter = !string.IsNullOrWhiteSpace(otlp) || !string.IsNullOrWhiteSpace(appInsights);
        if (!configuration.GetValue("Matching:Telemetry:Enabled", exporter)) return services;
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("matching-api", serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString()))
            .WithTracing(t => t
                .AddSource(Name)
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.Filter = http => http.Request.Path != "/"; // readiness polls
                    o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("client.address", null);
                })
                .AddHttpClientInstrumentation())
            .WithMetrics(m => m
                .AddMeter(Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());

        // Under the Functions host the worker's own support links our spans to the host's invocation spans.
        if (underFunctionsHost) otel.UseFunctionsWorkerDefaults();

        if (!string.IsNullOrWhiteSpace(otlp))
        {
            otel.UseOtlpExporter();
        }
        else if (!string.IsNullOrWhiteSpace(appInsights))
        {
            // Entra ID authentication: the app's user-assigned identity (AZURE_CLIENT_ID) has Monitoring Metrics Publisher.
            var credential = configuration["AZURE_CLIENT_ID"] is { Length: > 0 } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
            // One exporter for the three signals (one transmitter, one offline store), and no live metrics stream.
            otel.UseAzureMonitorExporter(o =>
            {
                o.ConnectionString = appInsights;
                o.Credential = credential;
                o.EnableLiveMetrics = false;
            });
        }
        return services;
    }
}
