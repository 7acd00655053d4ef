using System.Net.Http.Json;
using Matching.Demo;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

[Collection(StorageCollection.Name)]
public sealed class DemoDataTests(StorageFixture fixture)
{
    [Fact]
    public async Task Demo_flag_seeds_open_offers_and_learners_for_the_readme_walkthrough()
    {
        await using var app = new MatchingApp(fixture.Azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Matching:SeedDemoData"] = "true",
            ["Matching:LocalListeners"] = "false",
        });
        var ngo = app.ClientFor(Role.Ngo, DemoData.NgoOrg);
        var offer = await Eventually.Until(async () => await ngo.GetAsync($"/api/offers/{DemoData.FrenchA2}"),
            r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(20), "the demo offer");
        var view = await Json(offer);
        Assert.Equal("open", view.GetProperty("status").GetString());
        Assert.Equal(1000, view.GetProperty("totalSeats").GetInt32());
        await Eventually.Until(async () => await ngo.GetAsync($"/api/learners/{DemoData.YusufId}"), r => r.IsSuccessStatusCode,
            TimeSpan.FromSeconds(20), "the demo learners");
        var page = await Json(await ngo.GetAsync("/api/offers?topic=Digital%20skills&near=46.2,1.9&radiusKm=50&sort=distance"));
        Assert.Contains(page.GetProperty("items").EnumerateArray(), o => o.GetProperty("id").GetString() == DemoData.DigitalFirstSteps);

        await Eventually.Until(async () => await ngo.GetAsync($"/api/learners/{DemoData.AminaId}/profile"), r => r.IsSuccessStatusCode,
            TimeSpan.FromSeconds(20), "Amina's profile");
        var claire = app.ClientFor(Role.Mentor, DemoData.VolunteerOrg, subject: "claire");
        Assert.Equal("Claire", (await Json(await claire.GetAsync("/api/mentors/me"))).GetProperty("displayName").GetString());
    }

    /// <summary>The README's mentoring walk-through, request by request, on the demo data (its own storage, so nothing else interferes).</summary>
    [Fact]
    public async Task The_readme_mentoring_walkthrough_works_on_the_demo_data()
    {
        await using var azurite = await Azurite.StartAsync();
        await using var app = new MatchingApp(azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Matching:SeedDemoData"] = "true", ["Matching:HostJsonPath"] = MatchingApp.FastHostJson(),
        });
        var ngo = app.ClientFor(Role.Ngo, DemoData.NgoOrg);
        var karim = app.ClientFor(Role.Mentor, DemoData.VolunteerOrg, subject: "karim");
        var claire = app.ClientFor(Role.Mentor, DemoData.VolunteerOrg, subject: "claire");
        await Eventually.Until(async () => await claire.GetAsync("/api/check-ins"), r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(20), "the demo data");
        await Eventually.Until(async () => (await Json(await claire.GetAsync("/api/check-ins"))).GetArrayLength(), n => n == 1, TimeSpan.FromSeconds(20), "Claire's check-in");

        // Yusuf asks; Karim (in person, near Guéret) is proposed; the NGO chooses him; he accepts; contacts appear.
        var accepted = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = DemoData.YusufId, goals = new[] { "professionalProject", "jobSearch" } });
        var request = await MentoringScenario.SettledAsync(ngo, accepted.Headers.Location!);
        var karimId = request.GetProperty("proposals").EnumerateArray().Single(p => p.GetProperty("displayName").GetString() == "Karim").GetProperty("mentorId").GetString();
        var requestId = request.GetProperty("id").GetString()!;
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose", new { mentorId = karimId })).EnsureSuccessStatusCode();
        Assert.Single((await Json(await karim.GetAsync("/api/mentors/me/offers"))).EnumerateArray());
        var match = await Json(await karim.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null));
        Assert.Equal("+33600000002", match.GetProperty("learner").GetProperty("channel").GetProperty("value").GetString());

        // Next Saturday 10:00 in Paris, in person at the demo venue; the NGO confirms for Yusuf; the invitation follows.
        var start = MentoringScenario.NextInParis(DayOfWeek.Saturday, 10, 0, daysAhead: 2);
        var venues = await Json(await ngo.GetAsync($"/api/matches/{requestId}/venues?start={Uri.EscapeDataString(start.ToString("O"))}&durationMinutes=60"));
        Assert.Equal(DemoData.VenueId, venues[0].GetProperty("venue").GetProperty("id").GetString());
        var session = await Json(await karim.PostAsJsonAsync($"/api/matches/{requestId}/sessions", new { start, durationMinutes = 60, mode = "inPerson", venueId = DemoData.VenueId }));
        var sessionId = session.GetProperty("id").GetString();
        Assert.Equal("confirmed", (await Json(await ngo.PostAsJsonAsync($"/api/matches/{requestId}/sessions/{sessionId}/confirm", new { }))).GetProperty("status").GetString());
        Assert.Contains("BEGIN:VCALENDAR", await (await ngo.GetAsync($"/api/matches/{requestId}/sessions/{sessionId}/invite")).Content.ReadAsStringAsync());

        // Amina's past session with Claire: the NGO answers her check-in with a rating; the impact report counts it.
        (await ngo.PostAsJsonAsync($"/api/check-ins/{DemoData.PastSessionId}", new { attendance = "held", rating = 5 })).EnsureSuccessStatusCode();
        var impact = await Json(await ngo.GetAsync("/api/reports/impact"));
        Assert.Equal((1, 1), (impact.GetProperty("sessionsHeld").GetInt32(), impact.GetProperty("ratings").GetProperty("5").GetInt32()));
        Assert.Equal(2, impact.GetProperty("matches").GetInt32());

        // That session makes Amina's match a known outcome: the training export has it, and the training reader reads it.
        var export = await app.ClientFor(Role.Operator, "platform").GetStringAsync("/api/exports/training-data");
        var data = Matching.Engine.TrainingData.Read(new StringReader(export));
        Assert.Empty(data.Problems);
        Assert.Contains(data.Outcomes, o => o.Accepted && o.SessionHeld && o.Rating == 5);
    }
}
