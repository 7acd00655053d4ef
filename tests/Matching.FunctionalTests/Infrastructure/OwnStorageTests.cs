using Microsoft.Extensions.Time.Testing;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// Its own Azurite and app for each test, for tests that change what the shared app must not see: settings, or
/// (with <paramref name="fakeClock"/>) the app's clock. Fast queue semantics; the lifecycle's timers never fire by
/// themselves (their schedules are once a year), the tests run them.
/// </summary>
public abstract class OwnStorageTests(IReadOnlyDictionary<string, string?>? settings = null, bool fakeClock = false) : IAsyncLifetime
{
    private readonly FakeTimeProvider? _clock = fakeClock ? new FakeTimeProvider(DateTimeOffset.UtcNow) : null;
    private Azurite _azurite = null!;

    protected MatchingApp App { get; private set; } = null!;

    /// <summary>The app's clock, which the test moves.</summary>
    protected FakeTimeProvider Clock => _clock ?? throw new InvalidOperationException("This test class runs on the real clock.");

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync();
        var all = new Dictionary<string, string?>
        {
            ["Matching:HostJsonPath"] = MatchingApp.FastHostJson(),
            ["MentoringDeadlinesSchedule"] = "0 0 0 1 1 *",
            ["FollowUpAlertsSchedule"] = "0 0 0 1 1 *",
            ["RetrainSchedule"] = "0 0 0 1 1 *",
            ["Mentoring:LoadSpreadWeight"] = "0",
            ["Mentoring:ExplorationShare"] = "0", // the same proposals on every run (ExplorationTests turn it on)
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        App = new MatchingApp(_azurite.ConnectionString, all, _clock);
        _ = App.Server;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await _azurite.DisposeAsync();
    }
}
