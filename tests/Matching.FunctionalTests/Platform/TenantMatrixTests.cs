using System.Net.Http.Json;
using System.Text;
using Matching.FunctionalTests.Infrastructure;
using Matching.Hosting;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Every function that addresses a resource by id, called on one organisation's resources by each principal that may
/// call it but is not entitled to them: another organisation in the same role, another learner of the same NGO,
/// another mentor. Generated from the function catalog, so a new endpoint is in it. No answer carries the owner's
/// data, no change is accepted, and the owner's resources are unchanged afterwards. The few operations that are
/// public by design (reading an open offer, claiming seats on it, a programme) are named below with what they may show.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class TenantMatrixTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    [Fact]
    public async Task Nobody_but_the_owner_reads_or_changes_a_resource_addressed_by_id()
    {
        // The owner's world: an offer with a claim, a learner with a match and a confirmed session, a ping.
        const string language = "yo";
        var providerA = NewOrg("provider");
        var ngoA = NewOrg("ngo");
        var offer = await OpenOfferAsync(App, providerA, Details(seats: 10));
        var ngo = App.ClientFor(Role.Ngo, ngoA);
        var claim = (await Json(await ClaimAsync(ngo, offer, "owner-claim", new { seats = 1, needsNote = "Secret-needs-note" }))).GetProperty("id").GetString()!;
        var mentorA = await MentorAsync(App, "Secretmentor", language, ["cvReview"]);
        var learner = await LearnerAsync(ngo, LearnerProfile(language, contact: new { kind = "phone", value = "+33611112222" }), name: "Secretina");
        var request = await ProposedAsync(ngo, learner);
        var match = request.GetProperty("id").GetString()!;
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{match}/choose", new { mentorId = request.GetProperty("proposals")[0].GetProperty("mentorId").GetString() })).EnsureSuccessStatusCode();
        (await mentorA.PostAsync($"/api/mentors/me/offers/{match}/accept", null)).EnsureSuccessStatusCode();
        var start = NextInParis(DayOfWeek.Monday, 18, 30);
        var session = (await Json(await mentorA.PostAsJsonAsync($"/api/matches/{match}/sessions", new { start, durationMinutes = 60, mode = "phone" }))).GetProperty("id").GetString()!;
        (await ngo.PostAsJsonAsync($"/api/matches/{match}/sessions/{session}/confirm", new { })).EnsureSuccessStatusCode();
        var ping = (await Json(await ngo.PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 }))).GetProperty("id").GetString()!;
        var ids = new Dictionary<string, string>
        {
            ["offerId"] = offer, ["claimId"] = claim, ["learnerId"] = learner, ["requestId"] = match, ["matchId"] = match, ["sessionId"] = session,
            ["organisationId"] = ngoA, ["personId"] = Guid.NewGuid().ToString("N"),
            ["pingId"] = ping, ["importId"] = Guid.NewGuid().ToString("N"), ["alertId"] = Guid.NewGuid().ToString("N"), ["programmeId"] = Guid.NewGuid().ToString("N"),
        };
        string[] secrets = ["Secretina", "+33611112222", "secretmentor@example.org", "Secret-needs-note", claim, session, ping];

        // Those who may call the functions but are not entitled to these resources.
        var outsiders = new Dictionary<Role, HttpClient>
        {
            [Role.Ngo] = App.ClientFor(Role.Ngo, NewOrg("ngo")),
            [Role.Provider] = App.ClientFor(Role.Provider, NewOrg("provider")),
            [Role.Learner] = App.ClientFor(Role.Learner, ngoA, subject: await LearnerAsync(ngo, LearnerProfile(language), name: "Other")), // same NGO, another learner
            [Role.Mentor] = App.ClientFor(Role.Mentor, "volunteers", subject: $"other-{Guid.NewGuid():N}"),
            [Role.Admin] = App.ClientFor(Role.Admin, NewOrg("ngo")), // another organisation's admin: no platform-wide power
        };
        // Public by design, with what they may show: an open offer and claiming seats on it; its claim list shows an NGO its own claims only.
        var publicOperations = new HashSet<string> { "GetOffer", "ClaimSeats", "ListClaims", "GetProgramme" };

        var failures = new List<string>();
        var cases = 0;
        foreach (var function in FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous && f.Page is null && f.Route.Contains('{')))
            foreach (var role in function.Roles.Where(outsiders.ContainsKey))
                foreach (var method in function.Methods)
                {
                    var path = "/" + System.Text.RegularExpressions.Regex.Replace(function.Route, "{([^}]+)}", m => ids.GetValueOrDefault(m.Groups[1].Value, Guid.NewGuid().ToString("N")));
                    var message = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method is "POST" or "PUT") message.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                    message.Headers.Add("Idempotency-Key", $"outsider-{Guid.NewGuid():N}");
                    var response = await outsiders[role].SendAsync(message);
                    var body = await response.Content.ReadAsStringAsync();
                    cases++;
                    var leaked = secrets.FirstOrDefault(s => body.Contains(s, StringComparison.Ordinal));
                    if (leaked is not null) failures.Add($"{role} {method} {path} ({function.Name}) shows {leaked}");
                    else if (response.IsSuccessStatusCode && !publicOperations.Contains(function.Name))
                        failures.Add($"{role} {method} {path} ({function.Name}) answered {(int)response.StatusCode}");
                }
        // The lists (the staff's views, the organisations, the matches...): whatever an outsider may list shows none of the owner's data.
        foreach (var function in FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous && f.Page is null && !f.Route.Contains('{') && f.Methods.Contains("GET")))
            foreach (var role in function.Roles.Where(outsiders.ContainsKey))
            {
                var response = await outsiders[role].GetAsync("/" + function.Route);
                var body = await response.Content.ReadAsStringAsync();
                cases++;
                if (secrets.Append(learner).Append(match).FirstOrDefault(s => body.Contains(s, StringComparison.Ordinal)) is { } leaked)
                    failures.Add($"{role} GET /{function.Route} ({function.Name}) shows {leaked}");
            }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases: " + string.Join("\n", failures));
        Assert.True(cases > 40, $"{cases} cases");

        // And nothing of the owner's changed.
        Assert.Equal("confirmed", (await Json(await ngo.GetAsync($"/api/offers/{offer}/claims/{claim}"))).GetProperty("status").GetString());
        Assert.Equal("active", (await Json(await ngo.GetAsync($"/api/matches/{match}"))).GetProperty("status").GetString());
        Assert.Equal("confirmed", (await Json(await ngo.GetAsync($"/api/matches/{match}/sessions"))).EnumerateArray().Single().GetProperty("status").GetString());
        Assert.Equal("Secretina", (await Json(await ngo.GetAsync($"/api/learners/{learner}"))).GetProperty("displayName").GetString());
        Assert.Equal("open", (await Json(await ngo.GetAsync($"/api/offers/{offer}"))).GetProperty("status").GetString());
    }
}
