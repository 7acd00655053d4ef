using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

/// <summary>Providers' offer reports and NGOs' impact reports, as JSON and as CSV safe to open in a spreadsheet.</summary>
[Collection(StorageCollection.Name)]
public sealed class ReportTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    [Fact]
    public async Task A_provider_sees_seats_offered_claimed_confirmed_and_released_and_the_csv_neutralises_formulas()
    {
        var providerOrg = NewOrg("provider");
        var offer = await OpenOfferAsync(App, providerOrg, Details(seats: 10, title: "=HYPERLINK(\"http://evil.example\",\"click\")"));
        var (ngoA, ngoB) = (App.ClientFor(Role.Ngo, NewOrg("ngo")), App.ClientFor(Role.Ngo, NewOrg("ngo")));
        var held = await Json(await ClaimAsync(ngoA, offer, "report-a", new { seats = 2 }));
        var named = new List<string>();
        foreach (var name in new[] { "Amina", "Yusuf" })
            named.Add((await Json(await ngoA.PostAsJsonAsync("/api/learners", new { displayName = name }))).GetProperty("id").GetString()!);
        (await ngoA.PostAsJsonAsync($"/api/offers/{offer}/claims/{held.GetProperty("id").GetString()}/confirm", new { beneficiaries = named })).EnsureSuccessStatusCode();
        var other = await Json(await ClaimAsync(ngoB, offer, "report-b", new { seats = 1 }));
        (await ngoB.PostAsync($"/api/offers/{offer}/claims/{other.GetProperty("id").GetString()}/release", null)).EnsureSuccessStatusCode();

        var provider = App.ClientFor(Role.Provider, providerOrg);
        var report = await Json(await provider.GetAsync("/api/reports/offers"));
        Assert.Equal((1, 10, 3, 2, 1, 1), (report.GetProperty("offers").GetInt32(), report.GetProperty("seatsOffered").GetInt32(), report.GetProperty("seatsClaimed").GetInt32(),
            report.GetProperty("seatsConfirmed").GetInt32(), report.GetProperty("seatsReleased").GetInt32(), report.GetProperty("ngosServed").GetInt32()));

        var csv = await provider.GetAsync("/api/reports/offers?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"", text); // read as text, never as a formula
        Assert.DoesNotContain(",\"=", text);
        Assert.Contains("\"Total\",\"\",\"\",\"10\",\"3\",\"2\",\"0\",\"1\",\"1\"", text);

        // Another provider's report does not include it; an NGO cannot read providers' reports; platform operators name the
        // provider; an organisation's admin sees their own organisation only, whatever it names.
        Assert.Equal(0, (await Json(await App.ClientFor(Role.Provider, NewOrg("provider")).GetAsync("/api/reports/offers"))).GetProperty("offers").GetInt32());
        await HttpPlatformTests.AssertProblem(await ngoA.GetAsync("/api/reports/offers"), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
        var operatorClient = App.ClientFor(Role.Operator, "platform");
        await HttpPlatformTests.AssertProblem(await operatorClient.GetAsync("/api/reports/offers"), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.Equal(10, (await Json(await operatorClient.GetAsync($"/api/reports/offers?organisation={providerOrg}"))).GetProperty("seatsOffered").GetInt32());
        Assert.Equal(10, (await Json(await App.ClientFor(Role.Admin, providerOrg).GetAsync("/api/reports/offers"))).GetProperty("seatsOffered").GetInt32());
        Assert.Equal(0, (await Json(await App.ClientFor(Role.Admin, NewOrg("provider")).GetAsync($"/api/reports/offers?organisation={providerOrg}"))).GetProperty("offers").GetInt32());
    }

    [Theory]
    [InlineData("/api/reports/impact"), InlineData("/api/reports/offers")]
    public async Task An_unknown_report_format_is_a_400_naming_the_parameter(string path)
    {
        var caller = App.ClientFor(path.EndsWith("offers", StringComparison.Ordinal) ? Role.Provider : Role.Ngo, NewOrg("org"));
        Assert.True((await HttpPlatformTests.AssertProblem(await caller.GetAsync($"{path}?format=xml"), HttpStatusCode.BadRequest, "urn:matching:problem:validation"))
            .GetProperty("errors").TryGetProperty("format", out _));
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync($"{path}?format=json")).StatusCode);
        Assert.StartsWith("text/csv", (await caller.GetAsync($"{path}?format=CSV")).Content.Headers.ContentType?.ToString());
    }
}
