using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

/// <summary>Spans and metrics for HTTP, queue processing and seat claims, and no personal data in them.</summary>
[Collection(StorageCollection.Name)]
public sealed class TelemetryTests(StorageFixture fixture) : IDisposable
{
    private readonly ConcurrentBag<Activity> _activities = new();
    private readonly ConcurrentBag<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();
    private ActivityListener? _activityListener;
    private MeterListener? _meterListener;

    private void Listen()
    {
        _activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Matching" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _activities.Add(a),
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener = new MeterListener { InstrumentPublished = (i, l) => { if (i.Meter.Name == "Matching") l.EnableMeasurementEvents(i); } };
        _meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
            _measurements.Add((i.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _meterListener.Start();
    }

    public void Dispose()
    {
        _activityListener?.Dispose();
        _meterListener?.Dispose();
    }

    [Fact]
    public async Task Http_queue_and_claim_work_emit_spans_and_metrics_without_personal_data()
    {
        Listen();
        var app = fixture.App;
        var ngo = app.ClientFor(Role.Ngo, NewOrg("ngo"));
        const string secretName = "Zélie-Marqueur";
        const string secretNote = "Needs-note-marker: evenings only";
        var learner = (await Json(await ngo.PostAsJsonAsync("/api/learners", new { displayName = secretName }))).GetProperty("id").GetString()!;
        var offer = await OpenOfferAsync(app, NewOrg("provider"), Details(seats: 5));
        var claim = await Json(await ClaimAsync(ngo, offer, "telemetry-1", new { seats = 1, beneficiaries = new[] { learner }, needsNote = secretNote }));
        var ping = await Json(await ngo.PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 }));
        var pingId = ping.GetProperty("id").GetString()!;
        await Eventually.Until(() => Task.FromResult(_activities.Any(a => a.OperationName == "queue RecordDiagnosticPing" && (string?)a.GetTagItem("messaging.destination.name") == "diagnostic-pings")),
            found => found, TimeSpan.FromSeconds(20), "the queue span");

        var batch = Assert.Single(_activities, a => a.OperationName == "offer.ledger.batch" && (string?)a.GetTagItem("matching.offer.id") == offer && (int?)a.GetTagItem("matching.batch.claims") == 1);
        Assert.True(batch.Duration > TimeSpan.Zero);
        Assert.Contains(_activities, a => a.Source.Name == "Microsoft.AspNetCore" && (string?)a.GetTagItem("http.route") == "/api/offers/{offerId}/claims");
        Assert.Contains(_measurements, m => m.Instrument == "matching.claims" && (string?)m.Tags["outcome"] == "confirmed");
        Assert.Contains(_measurements, m => m.Instrument == "matching.queue.messages" && (string?)m.Tags["function"] == "RecordDiagnosticPing" && (string?)m.Tags["outcome"] == "succeeded");

        foreach (var activity in _activities)
            foreach (var (key, value) in activity.TagObjects)
            {
                var text = value?.ToString() ?? "";
                Assert.False(text.Contains(secretName, StringComparison.Ordinal) || text.Contains(secretNote, StringComparison.Ordinal) || text.Contains("Bearer", StringComparison.Ordinal),
                    $"{activity.OperationName} tag {key} carries personal data: {text}");
            }
        Assert.Equal("confirmed", claim.GetProperty("status").GetString());
        Assert.NotEmpty(pingId);
    }
}
