using Matching.FunctionalTests.Infrastructure;
using Matching.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.FunctionalTests;

/// <summary>A timer function, declared as the app declares its own, with its schedule in an app setting.</summary>
public sealed class TestTick
{
    public static readonly System.Collections.Concurrent.ConcurrentQueue<(DateTimeOffset At, TimerInfo Info)> Fired = new();

    [Function("TestTick")]
    public Task RunAsync([TimerTrigger("%TestTickSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        Fired.Enqueue((DateTimeOffset.UtcNow, timer));
        return Task.CompletedTask;
    }
}

/// <summary>Timer functions fire on their six-field NCRONTAB schedule, read from settings, in the local host.</summary>
[Collection(StorageCollection.Name)]
public sealed class LocalTimerTests(StorageFixture fixture)
{
    [Fact]
    public async Task A_timer_every_second_fires_each_second_with_its_next_occurrence()
    {
        await using var app = new MatchingApp(fixture.Azurite.ConnectionString, new Dictionary<string, string?> { ["TestTickSchedule"] = "*/1 * * * * *" });
        // This assembly's functions only: the test timer, nothing of the app's.
        using var withTimer = app.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton(new FunctionCatalog(typeof(TestTick).Assembly))));
        _ = withTimer.Server; // starts the local scheduler

        var fired = await Eventually.Until(() => Task.FromResult(TestTick.Fired.ToArray()), f => f.Length >= 3, TimeSpan.FromSeconds(10), "three ticks");
        var gaps = fired.Zip(fired.Skip(1), (a, b) => (b.At - a.At).TotalMilliseconds).ToArray();
        Assert.All(gaps, g => Assert.InRange(g, 500, 1600));
        Assert.All(fired.Skip(1), f => Assert.NotEqual(default, f.Info.ScheduleStatus!.Last));
        Assert.All(fired, f => Assert.Equal(0, f.Info.ScheduleStatus!.Next.Millisecond));
    }
}
