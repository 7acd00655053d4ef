using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Offers and proposals expire by timer, idempotently. Its own Azurite and app, with expiries of a second, the timer
/// run by the test (its schedule never fires by itself here) and a clock the test moves: the timer's two runs happen at
/// the same instant, so the new offer the first run made cannot expire before the second (on a loaded machine, a second
/// of real time could pass between them).
/// </summary>
public sealed class MentoringExpiryTests() : OwnStorageTests(new Dictionary<string, string?>
{
    ["Mentoring:OfferExpiryHours"] = (1.0 / 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), // one second
    ["Mentoring:ProposalExpiryDays"] = (1.0 / 86400).ToString(System.Globalization.CultureInfo.InvariantCulture),
}, fakeClock: true)
{
    [Fact]
    public async Task An_unanswered_offer_expires_into_the_next_proposal_and_unchosen_proposals_expire_the_request()
    {
        const string language = "ff";
        var aissata = await MentorAsync(App, "Aissata", language, ["cvReview"]);
        var boubacar = await MentorAsync(App, "Boubacar", language, ["cvReview"]);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var first = await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(language)));
        var firstId = first.GetProperty("id").GetString()!;
        var chosen = first.GetProperty("proposals")[0].GetProperty("mentorId").GetString()!;
        var other = first.GetProperty("proposals")[1].GetProperty("mentorId").GetString()!;
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{firstId}/choose", new { mentorId = chosen })).EnsureSuccessStatusCode();
        var secondLearner = await LearnerAsync(ngo, LearnerProfile(language));
        var second = await ProposedAsync(ngo, secondLearner);

        Clock.Advance(TimeSpan.FromSeconds(2.5));
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        await App.RunTimerAsync("ExpireMentoringDeadlines"); // a second run changes nothing

        var moved = await Json(await ngo.GetAsync($"/api/mentor-requests/{firstId}"));
        Assert.Equal(("offered", other), (moved.GetProperty("status").GetString(), moved.GetProperty("offer").GetProperty("mentorId").GetString()));
        var expired = Assert.Single(moved.GetProperty("declines").EnumerateArray());
        Assert.Equal((chosen, "expired"), (expired.GetProperty("mentorId").GetString(), expired.GetProperty("reason").GetString()));
        var pending = new[] { aissata, boubacar }.Select(async m => (await MentorProfileAsync(m)).GetProperty("pendingProposals").GetInt32());
        Assert.Equal(1, (await Task.WhenAll(pending)).Sum()); // the expired offer gave its unit back, the new one holds one

        Assert.Equal("expired", (await Json(await ngo.GetAsync($"/api/mentor-requests/{second.GetProperty("id").GetString()}"))).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = secondLearner, goals = new[] { "cvReview" } })).StatusCode);
        await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync($"/api/mentor-requests/{second.GetProperty("id").GetString()}/choose",
            new { mentorId = chosen }), HttpStatusCode.Conflict, "urn:matching:problem:conflict");
    }
}
