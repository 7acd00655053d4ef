
namespace Matching.Hosting;

/// <summary>The local host's stand-in for the timer trigger: each timer fires on its NCRONTAB schedule (UTC), read from
/// the same app setting the Functions host resolves (<c>%Name%</c>).</summary>
public sealed class LocalTimerScheduler(FunctionCatalog catalog, FunctionInvoker invoker,
    IConfiguration configuration, TimeProvider time, ILogger<LocalTimerScheduler> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved and parsed before the first tick, so that a wrong schedule stops the start, not a timer.
        var schedules = catalog.TimerFunctions.Select(t => (t, Ncrontab.Parse(FunctionCatalog.Resolve(t.Schedule, configuration)))).ToList();
        return Task.WhenAll(schedules.Select(s => Task.Run(() => RunAsync(s.t, s.Item2, stoppingToken), stoppingToken)));
    }

    private async Task RunAsync(TimerFunction function, NCrontab.CrontabSchedule schedule, CancellationToken stoppingToken)
    {
        DateTimeOffset? last = null;
        if (function.RunOnStartup) await FireAsync(function, new TimerInfo(), stoppingToken);
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
            await FireAsync(function, new TimerInfo
            {
                IsPastDue = pastDue,
                ScheduleStatus = new ScheduleStatus { Last = (last ?? default).UtcDateTime, Next = schedule.GetNextOccurrence(next.UtcDateTime), LastUpdated = time.GetUtcNow().UtcDateTime },
            }, stoppingToken);
            last = next;
            cursor = Max(next.UtcDateTime, time.GetUtcNow().UtcDateTime);
        }
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private async Task FireAsync(TimerFunction function, TimerInfo info, CancellationToken stoppingToken)
    {
        try
        {
            await invoker.RunLocallyAsync(function, info, stoppingToken);
        }
        catch (Exception) when (!stoppingToken.IsCancellationRequested)
        {
            // Already logged by the invoker; like the host, a failed tick waits for the next one.
            logger.LogDebug("Timer {FunctionName} will run again at its next occurrence", function.Name);
        }
        catch (OperationCanceledException) { }
    }
}
