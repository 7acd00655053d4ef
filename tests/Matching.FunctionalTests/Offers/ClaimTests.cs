using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

[Collection(StorageCollection.Name)]
public sealed class ClaimTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    private async Task<string> LearnerAsync(HttpClient ngo, string name = "Amina")
    {
        var created = await ngo.PostAsJsonAsync("/api/learners", new { displayName = name });
        return (await Json(created)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Same_key_same_body_replays_and_different_body_is_422()
    {
        var id = await OpenOfferAsync(App, NewOrg("provider"), Details(seats: 5));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var first = await ClaimAsync(ngo, id, "retry-1", new { seats = 2 });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var original = await Json(first);

        var again = await ClaimAsync(ngo, id, "retry-1", new { seats = 2 });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(original.GetProperty("id").GetString(), (await Json(again)).GetProperty("id").GetString());

        await HttpPlatformTests.AssertProblem(await ClaimAsync(ngo, id, "retry-1", new { seats = 3 }),
            HttpStatusCode.UnprocessableEntity, "urn:matching:problem:idempotency-key-reused");
        // Keys are scoped to the NGO and the offer they are sent to: another NGO's same key is another claim.
        var other = await ClaimAsync(App.ClientFor(Role.Ngo, NewOrg("ngo")), id, "retry-1", new { seats = 1 });
        Assert.NotEqual(original.GetProperty("id").GetString(), (await Json(other)).GetProperty("id").GetString());

        var offer = await Json(await ngo.GetAsync($"/api/offers/{id}"));
        Assert.Equal(2, offer.GetProperty("seatsRemaining").GetInt32()); // 5 - 2 (booked once) - 1 (the other NGO)
    }

    [Fact]
    public async Task Claims_are_rejected_with_their_reason()
    {
        var providerOrg = NewOrg("provider");
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var capped = await OpenOfferAsync(App, providerOrg, Details(seats: 10, perNgoCap: 3));
        Assert.Equal("confirmed", (await Json(await ClaimAsync(ngo, capped, "c1", new { seats = 2 }))).GetProperty("status").GetString());
        var over = await Json(await ClaimAsync(ngo, capped, "c2", new { seats = 2 }));
        Assert.Equal(("rejected", "over-ngo-cap"), (over.GetProperty("status").GetString(), over.GetProperty("reason").GetString()));
        var partial = await Json(await ClaimAsync(ngo, capped, "c3", new { seats = 2, allowPartial = true }));
        Assert.Equal(("confirmed", 1), (partial.GetProperty("status").GetString(), partial.GetProperty("seatsAllocated").GetInt32()));

        var later = await OpenOfferAsync(App, providerOrg, Details(opens: DateTimeOffset.UtcNow.AddDays(2), closes: DateTimeOffset.UtcNow.AddDays(5)));
        Assert.Equal("window-closed", (await Json(await ClaimAsync(ngo, later, "w1", new { seats = 1 }))).GetProperty("reason").GetString());

        var suspended = await OpenOfferAsync(App, providerOrg, Details());
        await App.ClientFor(Role.Provider, providerOrg).PostAsync($"/api/offers/{suspended}/suspend", null);
        Assert.Equal("offer-not-open", (await Json(await ClaimAsync(ngo, suspended, "s1", new { seats = 1 }))).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Partial_allocation_only_when_asked()
    {
        var id = await OpenOfferAsync(App, NewOrg("provider"), Details(seats: 3));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        Assert.Equal("waitlisted", (await Json(await ClaimAsync(ngo, id, "p1", new { seats = 5 }))).GetProperty("status").GetString());
        var id2 = await OpenOfferAsync(App, NewOrg("provider"), Details(seats: 3));
        var partial = await Json(await ClaimAsync(ngo, id2, "p2", new { seats = 5, allowPartial = true }));
        Assert.Equal(("confirmed", 3, 5), (partial.GetProperty("status").GetString(), partial.GetProperty("seatsAllocated").GetInt32(), partial.GetProperty("seatsRequested").GetInt32()));
    }

    [Fact]
    public async Task Held_claim_is_confirmed_by_naming_own_learners_and_provider_sees_names_only_when_shared()
    {
        var providerOrg = NewOrg("provider");
        var id = await OpenOfferAsync(App, providerOrg, Details(seats: 5, requiresNamed: true));
        var ngoOrg = NewOrg("ngo");
        var ngo = App.ClientFor(Role.Ngo, ngoOrg);
        var held = await Json(await ClaimAsync(ngo, id, "h1", new { seats = 2, needsNote = "Two learners at A2, evenings only." }));
        Assert.Equal("held", held.GetProperty("status").GetString());
        Assert.True(held.GetProperty("holdExpiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(55));
        var claimId = held.GetProperty("id").GetString()!;

        var stranger = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var theirs = await LearnerAsync(stranger, "Other");
        var wrong = await ngo.PostAsJsonAsync($"/api/offers/{id}/claims/{claimId}/confirm", new { beneficiaries = new[] { theirs, await LearnerAsync(ngo) } });
        await HttpPlatformTests.AssertProblem(wrong, HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        await HttpPlatformTests.AssertProblem(await stranger.GetAsync($"/api/offers/{id}/claims/{claimId}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");

        var a = await LearnerAsync(ngo, "Amina");
        var b = await LearnerAsync(ngo, "Yusuf");
        var confirmed = await Json(await ngo.PostAsJsonAsync($"/api/offers/{id}/claims/{claimId}/confirm", new { beneficiaries = new[] { a, b } }));
        Assert.Equal("confirmed", confirmed.GetProperty("status").GetString());

        var provider = App.ClientFor(Role.Provider, providerOrg);
        var list = await Json(await provider.GetAsync($"/api/offers/{id}/claims"));
        var row = Assert.Single(list.GetProperty("claims").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("beneficiaries").ValueKind); // not shared
        Assert.Equal(2, row.GetProperty("beneficiariesNamed").GetInt32());
        Assert.Equal("Two learners at A2, evenings only.", row.GetProperty("needsNote").GetString());
        Assert.Equal(2, list.GetProperty("byNgo")[0].GetProperty("confirmedSeats").GetInt32());

        var shared = await Json(await ClaimAsync(ngo, id, "h2", new { seats = 1, beneficiaries = new[] { a }, shareBeneficiariesWithProvider = true }));
        Assert.Equal("confirmed", shared.GetProperty("status").GetString());
        var sharedView = await Json(await provider.GetAsync($"/api/offers/{id}/claims/{shared.GetProperty("id").GetString()}"));
        Assert.Equal("Amina", sharedView.GetProperty("beneficiaries")[0].GetProperty("displayName").GetString());

        // another provider sees nothing of it
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Provider, NewOrg("provider")).GetAsync($"/api/offers/{id}/claims"),
            HttpStatusCode.NotFound, "urn:matching:problem:not-found");
    }

    [Fact]
    public async Task Expired_hold_returns_its_seats_to_the_waitlist_when_the_timer_runs()
    {
        var id = await OpenOfferAsync(App, NewOrg("provider"), Details(seats: 2, requiresNamed: true, holdMinutes: 5));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var held = await Json(await ClaimAsync(ngo, id, "e1", new { seats = 2 }));
        var waiting = await Json(await ClaimAsync(ngo, id, "e2", new { seats = 1 }));
        Assert.Equal("waitlisted", waiting.GetProperty("status").GetString());

        // Make the hold due, as five minutes passing would, then run the timer function as the host does.
        var table = App.Table("offers");
        var row = (await table.GetEntityAsync<TableEntity>(id, "claim|" + held.GetProperty("id").GetString())).Value;
        row["HoldExpiresAt"] = DateTimeOffset.UtcNow.AddMinutes(-1);
        await table.UpdateEntityAsync(row, row.ETag);
        await App.RunTimerAsync("ReleaseExpiredHolds");

        var expired = await Json(await ngo.GetAsync($"/api/offers/{id}/claims/{held.GetProperty("id").GetString()}"));
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        var promoted = await Json(await ngo.GetAsync($"/api/offers/{id}/claims/{waiting.GetProperty("id").GetString()}"));
        Assert.Equal("held", promoted.GetProperty("status").GetString()); // named beneficiaries still required
        Assert.Equal(1, (await Json(await ngo.GetAsync($"/api/offers/{id}"))).GetProperty("seatsRemaining").GetInt32());
    }

    [Fact]
    public async Task Bad_claims_are_400_and_unknown_offers_404()
    {
        var id = await OpenOfferAsync(App, NewOrg("provider"), Details());
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var noKey = await ngo.PostAsJsonAsync($"/api/offers/{id}/claims", new { seats = 1 });
        var problem = await HttpPlatformTests.AssertProblem(noKey, HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        var zero = await ClaimAsync(ngo, id, "z", new { seats = 0 });
        Assert.True((await HttpPlatformTests.AssertProblem(zero, HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors").TryGetProperty("seats", out _));
        var tooManyNames = await ClaimAsync(ngo, id, "n", new { seats = 1, beneficiaries = new[] { Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N") } });
        await HttpPlatformTests.AssertProblem(tooManyNames, HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        await HttpPlatformTests.AssertProblem(await ClaimAsync(ngo, Guid.NewGuid().ToString("N"), "u", new { seats = 1 }), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        await HttpPlatformTests.AssertProblem(await ClaimAsync(App.ClientFor(Role.Provider, NewOrg("p")), id, "r", new { seats = 1 }), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
        var stranger = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var claim = await Json(await ClaimAsync(ngo, id, "mine", new { seats = 1 }));
        await HttpPlatformTests.AssertProblem(await stranger.PostAsync($"/api/offers/{id}/claims/{claim.GetProperty("id").GetString()}/release", null),
            HttpStatusCode.NotFound, "urn:matching:problem:not-found");
    }

    /// <summary>
    /// 240 concurrent claims from 20 NGOs on a 100-seat offer, with releases and same-key retries mixed in;
    /// then every invariant is checked exactly against the rows in Table Storage.
    /// </summary>
    [Fact]
    public async Task Concurrent_claims_never_oversell_never_lose_a_claim_never_book_twice_and_serve_the_waitlist_in_order()
    {
        // A fair-share cap of 12 seats per NGO, so that the per-NGO accounting is exercised under load too.
        var id = await OpenOfferAsync(App, NewOrg("provider"), Details(seats: 100, perNgoCap: 12));
        var ngos = Enumerable.Range(0, 20).Select(i => (Org: NewOrg($"ngo{i}"), Client: (HttpClient?)null)).ToArray();
        for (var i = 0; i < ngos.Length; i++) ngos[i].Client = App.ClientFor(Role.Ngo, ngos[i].Org);
        var random = new Random(42);
        var plans = Enumerable.Range(0, 240).Select(i => (Ngo: i % 20, Key: $"k{i}", Seats: 1 + random.Next(3), Retry: i % 7 == 0, Release: i % 9 == 0)).ToArray();

        var claims = new System.Collections.Concurrent.ConcurrentDictionary<string, JsonElement>();
        var released = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(plans.Select(async p =>
        {
            var client = ngos[p.Ngo].Client!;
            var body = new { seats = p.Seats };
            var sends = p.Retry ? await Task.WhenAll(ClaimAsync(client, id, p.Key, body), ClaimAsync(client, id, p.Key, body))
                : [await ClaimAsync(client, id, p.Key, body)];
            var views = new List<JsonElement>();
            foreach (var s in sends) views.Add(await Json(s));
            Assert.Single(views.Select(v => v.GetProperty("id").GetString()).Distinct()); // a retry returns the same claim
            var claim = views[0];
            claims[p.Key] = claim;
            if (p.Release && claim.GetProperty("status").GetString() is "confirmed" or "waitlisted")
            {
                await Json(await client.PostAsync($"/api/offers/{id}/claims/{claim.GetProperty("id").GetString()}/release", null));
                released.Add(claim.GetProperty("id").GetString()!);
            }
        }));

        // What storage holds now
        var table = App.Table("offers");
        var rows = new List<TableEntity>();
        await foreach (var e in table.QueryAsync<TableEntity>(e => e.PartitionKey == id)) rows.Add(e);
        var head = rows.Single(r => r.RowKey == "offer");
        var stored = rows.Where(r => r.RowKey.StartsWith("claim|", StringComparison.Ordinal)).ToList();
        int Seats(TableEntity r) => r.GetInt32("SeatsAllocated") ?? 0;
        string Status(TableEntity r) => r.GetString("Status");

        // No claim lost, none booked twice: one row per idempotency key, and every answered claim is stored.
        Assert.Equal(plans.Length, stored.Count);
        Assert.Equal(plans.Length, claims.Values.Select(c => c.GetProperty("id").GetString()).Distinct().Count());
        Assert.All(claims.Values, c => Assert.Contains(stored, r => r.RowKey == "claim|" + c.GetProperty("id").GetString()));

        // Never oversold, and the counters agree with the rows.
        var confirmed = stored.Where(r => Status(r) == "Confirmed").Sum(Seats);
        var held = stored.Where(r => Status(r) == "Held").Sum(Seats);
        Assert.True(confirmed + held <= 100, $"{confirmed} + {held} seats out of 100");
        Assert.Equal(confirmed, head.GetInt32("Confirmed"));
        Assert.Equal(held, head.GetInt32("Held"));
        var waiting = stored.Where(r => Status(r) == "Waitlisted").ToList();
        Assert.Equal(waiting.Count, head.GetInt32("WaitlistedClaims"));
        Assert.Equal(waiting.Count, rows.Count(r => r.RowKey.StartsWith("wait|", StringComparison.Ordinal)));
        Assert.Equal(released.Count, stored.Count(r => Status(r) == "Released"));
        // Per-NGO rows agree with the claims, and no NGO went over its fair share.
        foreach (var g in stored.GroupBy(r => r.GetString("NgoOrg")))
        {
            var ngoRow = rows.Single(r => r.RowKey == "ngo|" + g.Key);
            var active = g.Where(r => Status(r) is "Confirmed" or "Held").Sum(Seats);
            var waitingSeats = g.Where(r => Status(r) == "Waitlisted").Sum(r => r.GetInt32("SeatsWaiting") ?? 0);
            Assert.Equal(active, ngoRow.GetInt32("Active"));
            Assert.Equal(waitingSeats, ngoRow.GetInt32("Waitlisted"));
            Assert.True(active + waitingSeats <= 12, $"{g.Key} holds {active} + {waitingSeats} seats over a cap of 12");
        }

        // The waitlist is first-in first-out: every claim promoted from it arrived before every claim still waiting,
        // and with seats still free nobody waits (the head would have been served).
        var promoted = stored.Where(r => r.GetDateTimeOffset("PromotedAt") is not null).Select(r => r.GetInt64("Sequence")!.Value).ToList();
        if (promoted.Count > 0 && waiting.Count > 0)
            Assert.True(promoted.Max() < waiting.Min(r => r.GetInt64("Sequence")!.Value), "a later claim was promoted before an earlier one");
        if (waiting.Count > 0)
        {
            var headOfLine = waiting.OrderBy(r => r.GetInt64("Sequence")).First();
            Assert.True(100 - confirmed - held < (headOfLine.GetInt32("SeatsWaiting") ?? 0), "seats are free but the head of the waitlist still waits");
        }
        Assert.Contains(stored, r => r.GetString("Reason") == "OverNgoCap"); // the cap did bind
    }

    [Fact]
    public async Task An_NGO_lists_all_its_claims_across_offers_by_status_a_page_at_a_time()
    {
        var providerOrg = NewOrg("provider");
        var (small, large) = (await OpenOfferAsync(App, providerOrg, Details(seats: 1)), await OpenOfferAsync(App, providerOrg, Details(seats: 50)));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        Assert.Equal("confirmed", (await Json(await ClaimAsync(ngo, small, "mine-1", new { seats = 1 }))).GetProperty("status").GetString());
        Assert.Equal("waitlisted", (await Json(await ClaimAsync(ngo, small, "mine-2", new { seats = 1 }))).GetProperty("status").GetString());
        Assert.Equal("confirmed", (await Json(await ClaimAsync(ngo, large, "mine-3", new { seats = 2 }))).GetProperty("status").GetString());
        await ClaimAsync(App.ClientFor(Role.Ngo, NewOrg("ngo")), large, "theirs-1", new { seats = 1 });

        var all = await Json(await ngo.GetAsync("/api/claims"));
        Assert.Equal(3, all.GetProperty("items").GetArrayLength());
        var waitlisted = await Json(await ngo.GetAsync("/api/claims?status=waitlisted"));
        Assert.Equal(small, Assert.Single(waitlisted.GetProperty("items").EnumerateArray()).GetProperty("offerId").GetString());

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await Json(await ngo.GetAsync("/api/claims?pageSize=1" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token))));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetString()!));
            token = page.GetProperty("continuationToken").GetString();
        } while (token is not null && seen.Count < 10);
        Assert.Equal(3, seen.Distinct().Count());

        var bad = await HttpPlatformTests.AssertProblem(await ngo.GetAsync("/api/claims?status=lost&pageSize=500"), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(bad.GetProperty("errors").TryGetProperty("status", out _) && bad.GetProperty("errors").TryGetProperty("pageSize", out _));
    }

    [Fact]
    public async Task Closing_an_offer_ends_its_waitlist_with_a_reason_the_NGO_sees()
    {
        var providerOrg = NewOrg("provider");
        var id = await OpenOfferAsync(App, providerOrg, Details(seats: 1, perNgoCap: 1));
        await ClaimAsync(App.ClientFor(Role.Ngo, NewOrg("ngo")), id, "first", new { seats = 1 });
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var waiting = await Json(await ClaimAsync(ngo, id, "second", new { seats = 1 }));
        Assert.Equal("waitlisted", waiting.GetProperty("status").GetString());

        (await App.ClientFor(Role.Provider, providerOrg).PostAsync($"/api/offers/{id}/close", null)).EnsureSuccessStatusCode();
        var ended = await Json(await ngo.GetAsync($"/api/offers/{id}/claims/{waiting.GetProperty("id").GetString()}"));
        Assert.Equal(("expired", "offer-closed"), (ended.GetProperty("status").GetString(), ended.GetProperty("reason").GetString()));
        Assert.Equal(0, (await Json(await ngo.GetAsync($"/api/offers/{id}"))).GetProperty("waitlistedClaims").GetInt32());
    }
}
