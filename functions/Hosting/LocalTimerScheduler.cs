namespace Matching.Hosting;

/// <summary>Local mode's stand-in for the timer trigger: each timer fires on its NCRONTAB schedule (UTC).</summary>
public sealed class LocalTimerScheduler(FunctionCatalog catalog, FunctionInvoker invoker, TimeProvider time,
    ILogger<LocalTimerScheduler> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(catalog.TimerFunctions.Select(t => Task.Run(() => RunAsync(t, stoppingToken), stoppingToken)));

    private async Task RunAsync(TimerFunction function, CancellationToken stoppingToken)
    {
        var schedule = Ncrontab.Parse(function.Schedule);
        DateTimeOffset? last = null;
        if (function.RunOnStartup) await FireAsync(function, new TimerInfo(false, null, null), stoppingToken);
        // The cursor moves from occurrence to occurrence, so a timer that wakes a little early cannot fire
        // the same occurrence twice; occurrences missed while the app was busy are skipped, as the host does.
        var cursor = time.GetUtcNow().UtcDateTime;
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = new DateTimeOffset(schedule.GetNextOccurrence(cursor), TimeSpan.Zero);
            try
            {
                for (var wait = next - time.GetUtcNow(); wait > TimeSpan.Zero; wait = next - time.GetUtcNow())
                    await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException) { return; }
            var pastDue = time.GetUtcNow() - next > TimeSpan.FromSeconds(30);
            await FireAsync(function, new TimerInfo(pastDue, last, new DateTimeOffset(schedule.GetNextOccurrence(next.UtcDateTime), TimeSpan.Zero)), stoppingToken);
            last = next;
            cursor = Max(next.UtcDateTime, time.GetUtcNow().UtcDateTime);
        }
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private async Task FireAsync(TimerFunction function, TimerInfo info, CancellationToken stoppingToken)
    {
        try { await invoker.InvokeAsync(function, info, stoppingToken); }
        catch (Exception) when (!stoppingToken.IsCancellationRequested)
        {
            // Already logged by the invoker; like the host, a failed tick waits for the next one.
            logger.LogDebug("Timer {FunctionName} will run again at its next occurrence", function.Name);
        }
        catch (OperationCanceledException) { }
    }
}
