using System.Diagnostics;
using Matching.Platform;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Matching.UnitTests;

/// <summary>
/// The OpenTelemetry pipeline is built after the app has started (TelemetryPipeline); what happened before it reaches
/// its exporters all the same, once, with its own times, parents and scopes.
/// </summary>
public sealed class TelemetryHandOverTests
{
    private static readonly IConfiguration NoSettings = new ConfigurationBuilder().Build();

    private sealed class Exported
    {
        public List<Activity> Spans { get; } = [];
        public List<MetricSnapshot> Metrics { get; } = [];
        public List<LogRecord> Logs { get; } = [];

        public void To(IOpenTelemetryBuilder otel) => otel
            .WithTracing(t => t.AddInMemoryExporter(Spans))
            .WithMetrics(m => m.AddInMemoryExporter(Metrics))
            .WithLogging(l => l.AddInMemoryExporter(Logs), o => o.IncludeScopes = true);
    }

    [Fact]
    public async Task Spans_measurements_and_logs_from_before_the_pipeline_reach_its_exporters_once_as_they_happened()
    {
        var run = Guid.NewGuid().ToString("N");
        var counter = Telemetry.Meter.CreateCounter<long>($"matching.test.handover.{run}");
        using var early = new EarlyTelemetry(Telemetry.SpanSources, [Telemetry.Name]);
        using var loggers = LoggerFactory.Create(b => b.AddProvider(early.Logs));
        var logger = loggers.CreateLogger("Matching.Test");

        // Before the pipeline: a parent and its child, a measurement, a log record in a scope under the parent.
        string parentId, childId;
        DateTime loggedAt;
        using (var parent = Telemetry.Source.StartActivity($"held-parent-{run}"))
        {
            Assert.NotNull(parent); // the early listener samples it: without it, nothing would be recorded at all
            parentId = parent.SpanId.ToString();
            using (var child = Telemetry.Source.StartActivity($"held-child-{run}")) childId = child!.SpanId.ToString();
            counter.Add(3, new KeyValuePair<string, object?>("outcome", "held"));
            using (logger.BeginScope(new Dictionary<string, object> { ["matching.test.scope"] = run }))
            {
                loggedAt = DateTime.UtcNow;
                logger.LogInformation("Held record {Run}", run);
            }
        }
        // One in flight when the pipeline starts: started before, stopped after.
        var inFlight = Telemetry.Source.StartActivity($"in-flight-{run}")!;
        await Task.Delay(50); // so that a replayed record's time can be told from the hand-over's

        var exported = new Exported();
        await using (var pipeline = TelemetryPipeline.Build(NoSettings, underFunctionsHost: false, early, exported.To))
        {
            inFlight.Stop();
            using (Telemetry.Source.StartActivity($"after-{run}")) counter.Add(4, new KeyValuePair<string, object?>("outcome", "after"));
            logger.LogInformation("After record {Run}", run);
            pipeline.GetRequiredService<MeterProvider>().ForceFlush();

            var spans = exported.Spans.Where(s => s.DisplayName.EndsWith(run, StringComparison.Ordinal)).ToList();
            Assert.Equal([$"after-{run}", $"held-child-{run}", $"held-parent-{run}", $"in-flight-{run}"], spans.Select(s => s.DisplayName).Order());
            var held = Assert.Single(spans, s => s.DisplayName == $"held-child-{run}");
            Assert.Equal(parentId, held.ParentSpanId.ToString());
            Assert.Equal(childId, held.SpanId.ToString());

            var points = exported.Metrics.Where(m => m.Name == counter.Name).SelectMany(m => m.MetricPoints).ToList();
            Assert.Equal(7, points.Sum(p => p.GetSumLong()));
            Assert.Contains(points, p => HasTag(p.Tags, "outcome", "held") && p.GetSumLong() == 3);

            var logs = exported.Logs.Where(l => l.Attributes?.Any(a => a.Key == "Run" && (string?)a.Value == run) == true).ToList();
            Assert.Equal(2, logs.Count);
            var heldLog = Assert.Single(logs, l => l.Body == "Held record {Run}");
            Assert.Equal(parentId, heldLog.SpanId.ToString());
            Assert.InRange(heldLog.Timestamp, loggedAt.AddMilliseconds(-5), loggedAt.AddMilliseconds(40));
            var scopes = new List<object?>();
            heldLog.ForEachScope((scope, list) => { foreach (var item in scope) list.Add(item.Value); }, scopes);
            Assert.Contains(run, scopes);
        }
    }

    [Fact]
    public void A_held_span_that_also_reaches_the_pipeline_as_it_starts_listening_is_taken_once()
    {
        using var early = new EarlyTelemetry(Telemetry.SpanSources, []);
        var held = Telemetry.Source.StartActivity($"race-{Guid.NewGuid():N}")!;
        held.Stop();
        using var notHeld = new Activity("not-held");
        Assert.True(early.FirstEnd(held));
        Assert.False(early.FirstEnd(held));
        Assert.True(early.FirstEnd(notHeld));
        Assert.True(early.FirstEnd(notHeld));
    }

    [Fact]
    public void Beyond_its_capacity_the_early_buffer_counts_what_it_drops_instead_of_growing()
    {
        using var early = new EarlyTelemetry(Telemetry.SpanSources, []);
        for (var i = 0; i < EarlyTelemetry.Capacity + 10; i++) Telemetry.Source.StartActivity("capacity")!.Stop();
        Assert.True(early.Dropped >= 10, $"dropped {early.Dropped}");
    }

    private static bool HasTag(ReadOnlyTagCollection tags, string key, string value)
    {
        foreach (var tag in tags) if (tag.Key == key && (string?)tag.Value == value) return true;
        return false;
    }
}
