using System.Net;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using Microsoft.Extensions.Time.Testing;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

/// <summary>Per-organisation limits on expensive operations hold across instances and answer 429 with Retry-After.</summary>
[Collection(StorageCollection.Name)]
public sealed class AbuseLimitTests(StorageFixture fixture)
{
    [Fact]
    public async Task Claims_over_the_per_minute_limit_are_429_across_two_instances_and_other_organisations_are_not_affected()
    {
        // Two instances over the same storage, on one clock stopped inside a minute (so the window cannot turn mid-test).
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?> { ["Matching:Limits:ClaimsPerMinute"] = "3", ["Matching:LocalListeners"] = "false" };
        await using var a = new MatchingApp(fixture.Azurite.ConnectionString, settings, clock);
        await using var b = new MatchingApp(fixture.Azurite.ConnectionString, settings, clock);
        var offer = await OpenOfferAsync(a, NewOrg("provider"), Details(seats: 100));
        var ngoOrg = NewOrg("ngo");

        foreach (var (app, i) in new[] { (a, 1), (b, 2), (a, 3) })
            Assert.Equal(HttpStatusCode.Created, (await ClaimAsync(app.ClientFor(Role.Ngo, ngoOrg), offer, $"limit-{i}", new { seats = 1 })).StatusCode);
        var refused = await ClaimAsync(b.ClientFor(Role.Ngo, ngoOrg), offer, "limit-4", new { seats = 1 });
        var problem = await HttpPlatformTests.AssertProblem(refused, HttpStatusCode.TooManyRequests, "urn:matching:problem:rate-limited");
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Contains("3 claims per minute", problem.GetProperty("detail").GetString());
        Assert.Equal(97, (await Json(await a.ClientFor(Role.Ngo, ngoOrg).GetAsync($"/api/offers/{offer}"))).GetProperty("seatsRemaining").GetInt32()); // nothing booked

        Assert.Equal(HttpStatusCode.Created, (await ClaimAsync(b.ClientFor(Role.Ngo, NewOrg("ngo")), offer, "other-1", new { seats = 1 })).StatusCode);
        clock.Advance(TimeSpan.FromMinutes(1)); // the next window
        Assert.Equal(HttpStatusCode.Created, (await ClaimAsync(a.ClientFor(Role.Ngo, ngoOrg), offer, "limit-5", new { seats = 1 })).StatusCode);
    }

    /// <summary>
    /// Far from the limit the instances answer from blocks they took in storage; the limit still holds exactly where
    /// it matters: across two instances taking turns, never more than the limit is accepted, and no more than the
    /// unused rest of one instance's last block (one attempt, near the limit) is refused early.
    /// </summary>
    [Fact]
    public async Task Blocks_taken_by_two_instances_never_let_an_organisation_past_its_limit()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?> { ["Matching:Limits:ClaimsPerMinute"] = "40", ["Matching:LocalListeners"] = "false" };
        await using var a = new MatchingApp(fixture.Azurite.ConnectionString, settings, clock);
        await using var b = new MatchingApp(fixture.Azurite.ConnectionString, settings, clock);
        var offer = await OpenOfferAsync(a, NewOrg("provider"), Details(seats: 100));
        var ngoOrg = NewOrg("ngo");
        var (ngoA, ngoB) = (a.ClientFor(Role.Ngo, ngoOrg), b.ClientFor(Role.Ngo, ngoOrg));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 60; i++)
            statuses.Add((await ClaimAsync(i % 3 == 0 ? ngoB : ngoA, offer, $"block-{i}", new { seats = 1 })).StatusCode);
        var created = statuses.Count(s => s == HttpStatusCode.Created);
        Assert.InRange(created, 39, 40);
        Assert.Equal(60 - created, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(100 - created, (await Json(await ngoA.GetAsync($"/api/offers/{offer}"))).GetProperty("seatsRemaining").GetInt32());
        // Every attempt is counted in storage: a block may count a few more than were used, never fewer.
        var rows = a.Table("abuselimits").Query<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == ngoOrg).ToList();
        Assert.True(rows.Sum(r => r.GetInt32("Count") ?? 0) >= 60, "every attempt is counted");
    }

    [Fact]
    public async Task Counts_of_windows_over_for_a_day_are_purged_and_current_ones_kept()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?> { ["Matching:Limits:ClaimsPerMinute"] = "3", ["Matching:LocalListeners"] = "false" };
        await using var app = new MatchingApp(fixture.Azurite.ConnectionString, settings, clock);
        var offer = await OpenOfferAsync(app, NewOrg("provider"), Details(seats: 100));
        var ngoOrg = NewOrg("ngo");
        Assert.Equal(HttpStatusCode.Created, (await ClaimAsync(app.ClientFor(Role.Ngo, ngoOrg), offer, "old", new { seats = 1 })).StatusCode);
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(HttpStatusCode.Created, (await ClaimAsync(app.ClientFor(Role.Ngo, ngoOrg), offer, "new", new { seats = 1 })).StatusCode);
        var table = app.Table("abuselimits");
        Assert.Equal(2, table.Query<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == ngoOrg).Count());

        await app.RunTimerAsync("PurgeAbuseLimits");

        var left = Assert.Single(table.Query<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == ngoOrg));
        Assert.True(left.GetDateTimeOffset("Expires") > clock.GetUtcNow());
    }
}
