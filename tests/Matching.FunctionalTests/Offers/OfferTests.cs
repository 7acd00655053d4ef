using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

[Collection(StorageCollection.Name)]
public sealed class OfferTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    [Fact]
    public async Task Provider_creates_a_draft_opens_suspends_and_closes_it_with_lheo_statuses()
    {
        var org = NewOrg("provider");
        var provider = App.ClientFor(Role.Provider, org);
        var created = await provider.PostAsJsonAsync("/api/offers", Details(seats: 1000));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var offer = await Json(created);
        var id = offer.GetProperty("id").GetString()!;
        Assert.Equal("draft", offer.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, offer.GetProperty("lheoRecruitmentStatus").ValueKind);

        // A draft does not exist for an NGO.
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        Assert.Equal(HttpStatusCode.NotFound, (await ngo.GetAsync($"/api/offers/{id}")).StatusCode);

        Assert.Equal(1, (await Json(await provider.PostAsync($"/api/offers/{id}/open", null))).GetProperty("lheoRecruitmentStatus").GetInt32());
        Assert.Equal(1000, (await Json(await ngo.GetAsync($"/api/offers/{id}"))).GetProperty("seatsRemaining").GetInt32());
        Assert.Equal(3, (await Json(await provider.PostAsync($"/api/offers/{id}/suspend", null))).GetProperty("lheoRecruitmentStatus").GetInt32());
        Assert.Equal(2, (await Json(await provider.PostAsync($"/api/offers/{id}/close", null))).GetProperty("lheoRecruitmentStatus").GetInt32());
        var reopen = await provider.PostAsync($"/api/offers/{id}/open", null);
        await HttpPlatformTests.AssertProblem(reopen, HttpStatusCode.Conflict, "urn:matching:problem:conflict");
    }

    [Fact]
    public async Task Another_provider_cannot_change_an_offer_and_an_ngo_cannot_create_one()
    {
        var id = await OpenOfferAsync(App, NewOrg("provider"), Details());
        var other = App.ClientFor(Role.Provider, NewOrg("provider"));
        await HttpPlatformTests.AssertProblem(await other.PostAsync($"/api/offers/{id}/close", null), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        await HttpPlatformTests.AssertProblem(await other.PutAsJsonAsync($"/api/offers/{id}", Details()), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/offers", Details()), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
    }

    public static TheoryData<string, string> BadOffers => new()
    {
        { """{"title":"x","topics":[{"label":"French"}],"languages":["fr"],"format":"virtualClass","totalSeats":5,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "title" },
        { """{"title":"French","topics":[{"label":"French"}],"languages":["fra"],"format":"virtualClass","totalSeats":5,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "languages[0]" },
        { """{"title":"French","topics":[{"label":"French"}],"languages":["fr"],"format":"virtualClass","totalSeats":0,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "totalSeats" },
        { """{"title":"French","topics":[{"label":"French"}],"languages":["fr"],"format":"virtualClass","totalSeats":5,"claimOpensAt":"2026-03-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "claimClosesAt" },
        { """{"title":"French","topics":[{"label":"French","rome":"123"}],"languages":["fr"],"format":"virtualClass","totalSeats":5,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "topics[0].rome" },
        { """{"title":"French","topics":[{"label":"French"}],"languages":["fr"],"format":"inPerson","totalSeats":5,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "venue" },
        { """{"title":"French","topics":[{"label":"French"}],"languages":["fr"],"format":"inPerson","totalSeats":5,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z","venue":{"address":"1 place de la Mairie","inseeCode":"7505","latitude":48.8,"longitude":2.3}}""", "venue.inseeCode" },
        { """{"title":"French","topics":[{"label":"French"}],"languages":["fr"],"format":"virtualClass","totalSeats":5,"perNgoCap":6,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "perNgoCap" },
        { """{"title":"French","topics":[{"label":"French"}],"languages":["fr"],"format":"teleport","totalSeats":5,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "format" },
        { """{"topics":[{"label":"French"}],"languages":["fr"],"format":"virtualClass","totalSeats":5,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z"}""", "title" },
        { """{"title":"French","topics":[],"languages":["fr"],"format":"virtualClass","totalSeats":5,"claimOpensAt":"2026-01-01T00:00:00Z","claimClosesAt":"2026-02-01T00:00:00Z","courseStart":"2026-05-01","courseEnd":"2026-04-01"}""", "courseEnd" },
    };

    [Theory]
    [MemberData(nameof(BadOffers))]
    public async Task Invalid_offers_are_400_naming_the_field(string body, string field)
    {
        var response = await App.ClientFor(Role.Provider, NewOrg("provider")).PostAsync("/api/offers",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await HttpPlatformTests.AssertProblem(response, HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(problem.GetProperty("errors").EnumerateObject().Any(e => string.Equals(e.Name, field, StringComparison.OrdinalIgnoreCase)), problem.ToString());
    }

    [Fact]
    public async Task Seats_cannot_go_below_those_taken_and_added_seats_serve_the_waitlist()
    {
        var providerOrg = NewOrg("provider");
        var id = await OpenOfferAsync(App, providerOrg, Details(seats: 2));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        Assert.Equal("confirmed", (await Json(await ClaimAsync(ngo, id, "k1", new { seats = 2 }))).GetProperty("status").GetString());
        var waiting = await Json(await ClaimAsync(ngo, id, "k2", new { seats = 1 }));
        Assert.Equal("waitlisted", waiting.GetProperty("status").GetString());

        var provider = App.ClientFor(Role.Provider, providerOrg);
        var shrink = await provider.PutAsJsonAsync($"/api/offers/{id}", Details(seats: 1));
        await HttpPlatformTests.AssertProblem(shrink, HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        var grown = await Json(await provider.PutAsJsonAsync($"/api/offers/{id}", Details(seats: 3)));
        Assert.Equal(0, grown.GetProperty("seatsRemaining").GetInt32());
        var promoted = await Json(await ngo.GetAsync($"/api/offers/{id}/claims/{waiting.GetProperty("id").GetString()}"));
        Assert.Equal("confirmed", promoted.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Browse_filters_sorts_pages_and_shows_exact_seats()
    {
        var providerOrg = NewOrg("provider");
        var marker = "Topic " + Guid.NewGuid().ToString("N")[..6];
        var venue = new { address = "Tiers-lieu, 2 rue de la Gare", inseeCode = "23096", latitude = 46.17, longitude = 1.87, name = "Coworking Guéret" };
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add(await OpenOfferAsync(App, providerOrg, Details(seats: 10 + i, topic: marker, closes: DateTimeOffset.UtcNow.AddDays(10 + i))));
        var inPerson = await OpenOfferAsync(App, providerOrg, Details(seats: 4, format: "inPerson", venue: venue, topic: marker));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        await Json(await ClaimAsync(ngo, ids[0], "browse-1", new { seats = 3 }));

        // closingSoon, two per page, following continuation tokens
        var seen = new List<string>();
        string? token = null;
        do
        {
            var url = $"/api/offers?topic={Uri.EscapeDataString(marker)}&format=virtualClass&pageSize=2" + (token is null ? "" : $"&continuationToken={token}");
            var page = await Json(await ngo.GetAsync(url));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("id").GetString()!));
            token = page.GetProperty("continuationToken").GetString();
        } while (token is not null);
        Assert.Equal(ids, seen);

        var first = await Json(await ngo.GetAsync($"/api/offers?topic={Uri.EscapeDataString(marker)}&sort=seatsRemaining&pageSize=1"));
        Assert.Equal(ids[4], first.GetProperty("items")[0].GetProperty("id").GetString());
        var claimed = await Json(await ngo.GetAsync($"/api/offers?topic={Uri.EscapeDataString(marker)}&minSeats=5&sort=newest&pageSize=10"));
        var items = claimed.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(7, items.Single(o => o.GetProperty("id").GetString() == ids[0]).GetProperty("seatsRemaining").GetInt32());
        Assert.DoesNotContain(items, o => o.GetProperty("id").GetString() == inPerson);

        // near Guéret (Creuse), 30 km: only the in-person offer; far away: none
        var near = await Json(await ngo.GetAsync($"/api/offers?topic={Uri.EscapeDataString(marker)}&near=46.2,1.9&radiusKm=30&sort=distance"));
        var nearItem = Assert.Single(near.GetProperty("items").EnumerateArray());
        Assert.Equal(inPerson, nearItem.GetProperty("id").GetString());
        Assert.True(nearItem.GetProperty("distanceKm").GetDouble() < 5);
        var far = await Json(await ngo.GetAsync($"/api/offers?topic={Uri.EscapeDataString(marker)}&near=43.3,5.4&radiusKm=30"));
        Assert.Empty(far.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("language=french", "language")]
    [InlineData("format=teleport", "format")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("near=100,2", "near")]
    [InlineData("sort=distance", "sort")]
    [InlineData("continuationToken=notatoken", "continuationToken")]
    [InlineData("mine=true", "mine")]
    public async Task Bad_browse_parameters_are_400_naming_them(string query, string field)
    {
        var response = await App.ClientFor(Role.Ngo, NewOrg("ngo")).GetAsync($"/api/offers?{query}");
        var problem = await HttpPlatformTests.AssertProblem(response, HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Provider_lists_its_own_offers_including_drafts()
    {
        var org = NewOrg("provider");
        var provider = App.ClientFor(Role.Provider, org);
        (await provider.PostAsJsonAsync("/api/offers", Details())).EnsureSuccessStatusCode();
        await OpenOfferAsync(App, NewOrg("provider"), Details());
        var mine = await Json(await provider.GetAsync("/api/offers?mine=true"));
        var item = Assert.Single(mine.GetProperty("items").EnumerateArray());
        Assert.Equal("draft", item.GetProperty("status").GetString());
    }
}
