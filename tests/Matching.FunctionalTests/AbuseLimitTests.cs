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
}
