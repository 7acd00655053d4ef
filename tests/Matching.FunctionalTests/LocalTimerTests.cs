using Matching.FunctionalTests.Infrastructure;
using Matching.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.FunctionalTests;

/// <summary>Timer functions fire on their six-field NCRONTAB schedule in local mode.</summary>
[Collection(StorageCollection.Name)]
public sealed class LocalTimerTests(StorageFixture fixture)
{
    private sealed class Tick : ITimerHandler
    {
        public static readonly System.Collections.Concurrent.ConcurrentQueue<(DateTimeOffset At, TimerInfo Info)> Fired = new();

        public Task RunAsync(TimerInfo timer, CancellationToken cancellationToken)
        {
            Fired.Enqueue((DateTimeOffset.UtcNow, timer));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_timer_every_second_fires_each_second_with_its_next_occurrence()
    {
        await using var app = new MatchingApp(fixture.Azurite.ConnectionString);
        using var withTimer = app.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddTimerFunction<Tick>("TestTick", "*/1 * * * * *")));
        _ = withTimer.Server; // starts the local scheduler

        var fired = await Eventually.Until(() => Task.FromResult(Tick.Fired.ToArray()), f => f.Length >= 3, TimeSpan.FromSeconds(10), "three ticks");
        var gaps = fired.Zip(fired.Skip(1), (a, b) => (b.At - a.At).TotalMilliseconds).ToArray();
        Assert.All(gaps, g => Assert.InRange(g, 500, 1600));
        Assert.All(fired.Skip(1), f => Assert.NotNull(f.Info.Last));
        Assert.All(fired, f => Assert.Equal(0, f.Info.Next!.Value.Millisecond));
    }
}
