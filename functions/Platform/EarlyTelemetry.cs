using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Matching.Platform;

/// <summary>
/// Holds the app's spans, log records and measurements until the OpenTelemetry pipeline exists, then hands them to it
/// with their own times and parents (<see cref="HandOver"/>). The pipeline is built off the start path
/// (<see cref="TelemetryPipeline"/>): built on it, it made a cold start's first answer 1.32x a bare worker's against a
/// budget of 1.25x (docs/benchmarks.md). Plain System.Diagnostics listeners do the holding, so a cold instance's first
/// requests are still traced. This class must not touch OpenTelemetry types: loading them is the cost it keeps off the
/// start path.
/// </summary>
public sealed class EarlyTelemetry : IDisposable
{
    /// <summary>A cold start's first seconds hold a few requests; beyond this much, the rest is counted and dropped.</summary>
    public const int Capacity = 4096;

    private readonly HashSet<string> _sources;
    private readonly HashSet<string> _meters;
    private readonly ConcurrentQueue<Activity> _spans = new();
    // Held spans, and whether the pipeline has had each: one that stops as the pipeline starts listening reaches it twice.
    private volatile ConcurrentDictionary<Activity, bool>? _sent = new();
    private readonly ConcurrentQueue<Measurement> _measurements = new();
    private readonly ActivityListener _spanListener;
    private readonly MeterListener _meterListener;
    private int _held;
    private int _dropped;
    private volatile bool _handedOver;

    private readonly record struct Measurement(Instrument Instrument, double? Real, long? Whole, KeyValuePair<string, object?>[] Tags);

    public EarlyTelemetry(IEnumerable<string> sources, IEnumerable<string> meters)
    {
        _sources = new(sources, StringComparer.OrdinalIgnoreCase);
        _meters = new(meters, StringComparer.OrdinalIgnoreCase);
        Logs = new DeferredLoggerProvider(this);
        _spanListener = new ActivityListener
        {
            ShouldListenTo = s => _sources.Contains(s.Name),
            // As the pipeline's default sampler does: everything, unless the caller's trace context says it was not sampled.
            Sample = (ref ActivityCreationOptions<ActivityContext> o) =>
                o.Parent == default || o.Parent.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.PropagationData,
            ActivityStopped = a =>
            {
                if (_handedOver || !a.Recorded || _sent is not { } sent || !Take()) return;
                sent[a] = false;
                _spans.Enqueue(a);
            },
        };
        ActivitySource.AddActivityListener(_spanListener);
        _meterListener = new MeterListener { InstrumentPublished = (i, l) => { if (_meters.Contains(i.Meter.Name)) l.EnableMeasurementEvents(i); } };
        _meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) => Keep(new(i, null, v, tags.ToArray())));
        _meterListener.SetMeasurementEventCallback<int>((i, v, tags, _) => Keep(new(i, null, v, tags.ToArray())));
        _meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => Keep(new(i, v, null, tags.ToArray())));
        _meterListener.Start();
    }

    /// <summary>The app's logger provider for OpenTelemetry: it holds log records until the pipeline takes over, then forwards them.</summary>
    public DeferredLoggerProvider Logs { get; }

    /// <summary>Spans, measurements and log records held so far.</summary>
    public int Held => Math.Min(Volatile.Read(ref _held), Capacity);

    /// <summary>Spans, measurements and log records dropped because more than <see cref="Capacity"/> were held.</summary>
    public int Dropped => _dropped;

    internal bool Take()
    {
        if (Interlocked.Increment(ref _held) <= Capacity) return true;
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>
    /// Whether the pipeline should take this ended span: always, except a held span it already had (it stopped as the
    /// pipeline started listening, so it came both from the pipeline's listener and from the replay).
    /// </summary>
    public bool FirstEnd(Activity span) =>
        _sent is not { } sent || !sent.TryGetValue(span, out var had) || (!had && sent.TryUpdate(span, true, false));

    private void Keep(Measurement m)
    {
        if (!_handedOver && Take()) _measurements.Enqueue(m);
    }

    /// <summary>
    /// Called once the pipeline listens: stops holding, then replays what was held. Spans go to
    /// <paramref name="endSpan"/> (the pipeline's processors); measurements are recorded again on their instruments,
    /// which only the pipeline's listener hears by then; log records go to <paramref name="logs"/>.
    /// </summary>
    public void HandOver(Action<Activity> endSpan, Microsoft.Extensions.Logging.ILoggerProvider logs)
    {
        _handedOver = true;
        _spanListener.Dispose();
        _meterListener.Dispose();
        while (_spans.TryDequeue(out var span)) if (FirstEnd(span)) endSpan(span);
        while (_measurements.TryDequeue(out var m)) Replay(m);
        Logs.HandOver(logs);
        // A held span's second end comes right after its first, on the thread that stopped it: a few seconds is ample.
        _ = Task.Delay(TimeSpan.FromSeconds(10)).ContinueWith(_ => _sent = null, TaskScheduler.Default);
    }

    /// <summary>
    /// Gives a request's server span the HTTP facts that the ASP.NET Core instrumentation adds once the pipeline runs
    /// (method, route template, status), when it has none: a span held before then would otherwise be a nameless request.
    /// </summary>
    public void DescribeRequest(HttpContext context, string route)
    {
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpActivityFeature>()?.Activity is not { Recorded: true } span
            || span.GetTagItem("http.request.method") is not null) return;
        span.DisplayName = $"{context.Request.Method} {route}";
        span.SetTag("http.request.method", context.Request.Method);
        span.SetTag("http.route", route);
        span.SetTag("url.scheme", context.Request.Scheme);
        span.SetTag("http.response.status_code", context.Response.StatusCode);
        if (context.Response.StatusCode >= 500) span.SetStatus(ActivityStatusCode.Error);
    }

    private static void Replay(Measurement m)
    {
        var tags = m.Tags.AsSpan();
        switch (m.Instrument)
        {
            case Counter<long> c: c.Add(m.Whole ?? 0, tags); break;
            case Counter<int> c: c.Add((int)(m.Whole ?? 0), tags); break;
            case Counter<double> c: c.Add(m.Real ?? 0, tags); break;
            case UpDownCounter<long> c: c.Add(m.Whole ?? 0, tags); break;
            case UpDownCounter<int> c: c.Add((int)(m.Whole ?? 0), tags); break;
            case UpDownCounter<double> c: c.Add(m.Real ?? 0, tags); break;
            case Histogram<long> h: h.Record(m.Whole ?? 0, tags); break;
            case Histogram<int> h: h.Record((int)(m.Whole ?? 0), tags); break;
            case Histogram<double> h: h.Record(m.Real ?? 0, tags); break;
            case Gauge<long> g: g.Record(m.Whole ?? 0, tags); break;
            case Gauge<int> g: g.Record((int)(m.Whole ?? 0), tags); break;
            case Gauge<double> g: g.Record(m.Real ?? 0, tags); break;
                // Observable instruments are read by the pipeline when it collects: nothing of theirs is held.
        }
    }

    public void Dispose()
    {
        var holding = !_handedOver;
        _handedOver = true;
        _spanListener.Dispose();
        _meterListener.Dispose();
        if (holding) Logs.HandOver(Microsoft.Extensions.Logging.Abstractions.NullLoggerProvider.Instance); // no pipeline will take them
    }
}

/// <summary>
/// The app's logger provider for the OpenTelemetry pipeline, registered at start without loading it: until the pipeline
/// exists it holds each record with its time, span and scopes; then it replays them and forwards every record after.
/// </summary>
[ProviderAlias("OpenTelemetry")]
public sealed class DeferredLoggerProvider(EarlyTelemetry early) : ILoggerProvider, ISupportExternalScope
{
    private readonly object _gate = new();
    private readonly List<Held> _held = [];
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new();
    private IExternalScopeProvider? _scopes;
    private volatile ILoggerProvider? _pipeline;

    /// <summary>
    /// The time and span of the record being replayed, for the pipeline's first log processor to put back (a stopped
    /// span cannot be made current again); null outside a replay.
    /// </summary>
    [ThreadStatic] private static Replayed? _replaying;
    public static Replayed? Replaying => _replaying;

    public sealed record Replayed(DateTime At, ActivityContext Span);

    private sealed record Held(string Category, Replayed As, List<object?> Scopes, Action<ILogger> Write);

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, c => new Logger(this, c));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        _scopes = scopeProvider;
        (_pipeline as ISupportExternalScope)?.SetScopeProvider(scopeProvider);
    }

    internal void HandOver(ILoggerProvider pipeline)
    {
        if (_scopes is { } scopes) (pipeline as ISupportExternalScope)?.SetScopeProvider(scopes);
        List<Held> held;
        lock (_gate)
        {
            held = [.. _held];
            _held.Clear();
            _pipeline = pipeline;
        }
        var current = Activity.Current;
        Activity.Current = null;
        foreach (var record in held)
        {
            // The record as it was written: inside its scopes, at its time, under its span.
            var pushed = record.Scopes.Select(s => _scopes?.Push(s)).ToList();
            _replaying = record.As;
            try { record.Write(pipeline.CreateLogger(record.Category)); }
            finally
            {
                _replaying = null;
                for (var i = pushed.Count - 1; i >= 0; i--) pushed[i]?.Dispose();
            }
        }
        Activity.Current = current;
    }

    private void Hold<TState>(string category, LogLevel level, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var scopes = new List<object?>();
        _scopes?.ForEachScope((scope, list) => list.Add(scope), scopes);
        var record = new Held(category, new(DateTime.UtcNow, Activity.Current?.Context ?? default), scopes, l => l.Log(level, id, state, exception, formatter));
        lock (_gate)
        {
            if (_pipeline is null)
            {
                if (early.Take()) _held.Add(record);
                return;
            }
        }
        record.Write(_pipeline.CreateLogger(category)); // the pipeline took over while this record was being taken
    }

    public void Dispose() { }

    private sealed class Logger(DeferredLoggerProvider provider, string category) : ILogger
    {
        private ILogger? _pipeline;

        private ILogger? Pipeline => _pipeline ??= provider._pipeline?.CreateLogger(category);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => Pipeline?.IsEnabled(logLevel) ?? logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (Pipeline is { } pipeline) pipeline.Log(logLevel, eventId, state, exception, formatter);
            else provider.Hold(category, logLevel, eventId, state, exception, formatter);
        }
    }
}
