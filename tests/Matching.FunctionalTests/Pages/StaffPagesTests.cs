using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring.Sessions;
using Matching.Organisations;
using Matching.Security;
using Microsoft.Extensions.DependencyInjection;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// An NGO's staff from their pages, signed in at the local provider: what needs them, the proposals with why each
/// mentor, the choice, a match's meetings confirmed for the learner; another organisation's staff see none of it.
/// </summary>
public sealed class StaffPagesTests() : OwnStorageTests(OidcProvider.Shared.Settings)
{
    private Task<string> MemberAsync(string name, string org, Role role) => OidcProvider.Shared.MemberAsync(App, name, org, OrganisationKind.Ngo, role);

    [Fact]
    public async Task Staff_see_what_needs_them_choose_a_mentor_with_the_reasons_and_confirm_a_meeting_for_their_learner()
    {
        const string language = "ty";
        var org = NewOrg("ngo");
        var lea = await MemberAsync("lea", org, Role.Ngo);
        var ngo = App.ClientFor(Role.Ngo, org, subject: lea);
        var mentor = await MentorAsync(App, "Karim", language, ["cvReview"]);
        var learner = await LearnerAsync(ngo, LearnerProfile(language));
        var request = await ProposedAsync(ngo, learner);
        var requestId = request.GetProperty("id").GetString()!;

        // What needs her: the proposals for Amina.
        var browser = new PageClient(App);
        var page = await OidcProvider.Shared.SignInAsync(browser, "lea", "/o");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("Amina", page.Text);
        Assert.Contains("Des mentors sont proposés : choisissez-en un.", page.Text);
        await Browser.ExpectGoodMarkupAsync(page);

        // The request: each mentor with why, in words; she chooses Karim.
        page = await browser.GetAsync($"/o/requests/{requestId}");
        Assert.Equal("Un mentor pour Amina", page.Document.QuerySelector("h1")?.TextContent);
        Assert.Contains("Pourquoi :", page.Text);
        using var inFrench = new HttpRequestMessage(HttpMethod.Get, $"/api/mentor-requests/{requestId}");
        inFrench.Headers.AcceptLanguage.ParseAdd("fr");
        var why = (await Json(await ngo.SendAsync(inFrench))).GetProperty("proposals")[0].GetProperty("explanation").GetString()!;
        Assert.StartsWith("Proposé", why);
        Assert.Contains(why, page.Text); // the API's explanation, word for word
        await Browser.ExpectGoodMarkupAsync(page);
        var mentorId = request.GetProperty("proposals")[0].GetProperty("mentorId").GetString()!;
        var token = page.Document.QuerySelector("input[name=_form]")!.GetAttribute("value")!;
        Assert.Equal(mentorId, page.Form($"/o/requests/{requestId}/choose").QuerySelector("input[name=mentorId]")?.GetAttribute("value"));
        var forged = await browser.PostAsync($"/o/requests/{requestId}/choose", ("_form", token), ("mentorId", new string('0', 32)));
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status); // not among the proposals: the API's refusal, on the page
        Assert.Contains("notice problem", forged.Document.Body!.InnerHtml);
        var chosen = await browser.SubmitAsync(page, $"/o/requests/{requestId}/choose");
        Assert.Equal($"/o/requests/{requestId}?chosen=1", chosen.Response.Headers.Location?.OriginalString);
        Assert.Equal("offered", (await Json(await ngo.GetAsync($"/api/mentor-requests/{requestId}"))).GetProperty("status").GetString());

        // Karim accepts and proposes a meeting: she confirms it for Amina on the match's page.
        (await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null)).EnsureSuccessStatusCode();
        var session = await Read<SessionsApi.SessionView>(await mentor.PostAsJsonAsync($"/api/matches/{requestId}/sessions",
            new { start = NextInParis(DayOfWeek.Monday, 18, 30), durationMinutes = 60, mode = "phone" }));
        page = await browser.GetAsync($"/o/matches/{requestId}");
        Assert.Equal("Amina et Karim", page.Document.QuerySelector("h1")?.TextContent);
        await Browser.ExpectGoodMarkupAsync(page);
        var confirmed = await browser.SubmitAsync(page, $"/o/sessions/{requestId}/{session.Id}/confirm");
        Assert.Equal($"/o/matches/{requestId}?done=confirmed", confirmed.Response.Headers.Location?.OriginalString);
        Assert.Equal(SessionStatus.Confirmed, (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{requestId}/sessions"))).Single().Status);

        // Someone signed in who belongs to no organisation yet: to their own page, which says so (not the API's words).
        var stranger = new PageClient(App);
        var landed = await OidcProvider.Shared.SignInAsync(stranger, "malik", "/moi");
        Assert.Contains("Vous n'êtes encore membre d'aucune organisation", landed.Text);
        var notYet = await stranger.GetAsync("/o");
        Assert.Equal(HttpStatusCode.SeeOther, notYet.Status);
        Assert.Equal("/moi", notYet.Response.Headers.Location?.OriginalString);

        // Another association's staff: nothing of it, on any of these pages.
        var other = new PageClient(App);
        await MemberAsync("sophie", NewOrg("ngo"), Role.Ngo);
        await OidcProvider.Shared.SignInAsync(other, "sophie", "/o");
        foreach (var path in new[] { $"/o/requests/{requestId}", $"/o/matches/{requestId}" })
        {
            var refused = await other.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, refused.Status);
            Assert.DoesNotContain("Amina", refused.Text);
            Assert.DoesNotContain("Karim", refused.Text);
        }
        Assert.DoesNotContain("Amina", (await other.GetAsync("/o")).Text);
        var theirToken = (await other.GetAsync("/moi/notifications")).Document.QuerySelector("input[name=_form]")!.GetAttribute("value")!; // a valid form token of hers
        var theirs = await other.PostAsync($"/o/sessions/{requestId}/{session.Id}/decline", ("_form", theirToken));
        Assert.Equal(HttpStatusCode.NotFound, theirs.Status);
    }

    [Fact]
    public async Task A_held_claim_is_confirmed_on_its_page_by_ticking_the_learners_and_released_and_another_association_sees_nothing()
    {
        var org = NewOrg("ngo");
        var lea = await MemberAsync("lea", org, Role.Ngo);
        var ngo = App.ClientFor(Role.Ngo, org, subject: lea);
        var offerId = await OpenOfferAsync(App, NewOrg("provider"), Details(seats: 5, requiresNamed: true));
        var held = await Json(await ClaimAsync(ngo, offerId, "page-1", new { seats = 2 }));
        Assert.Equal("held", held.GetProperty("status").GetString());
        var claimId = held.GetProperty("id").GetString()!;
        var amina = await LearnerAsync(ngo, LearnerProfile("tl"));
        var yusuf = await LearnerAsync(ngo, LearnerProfile("tl"), name: "Yusuf");
        var path = $"/o/claims/{offerId}/{claimId}";

        var browser = new PageClient(App);
        var page = await OidcProvider.Shared.SignInAsync(browser, "lea", path);
        Assert.Contains("2 places réservées pour vous : nommez qui les prend.", page.Text);
        Assert.NotNull(page.Document.QuerySelector($"input[name=beneficiary][value='{amina}']"));
        await Browser.ExpectGoodMarkupAsync(page);

        // Nobody ticked: the API's own rule, beside the list; then Amina and Yusuf.
        var none = await browser.SendAsync(page, $"{path}/confirm");
        Assert.Equal(HttpStatusCode.BadRequest, none.Status);
        Assert.NotNull(none.Document.QuerySelector("#beneficiaries-problem"));
        var confirmed = await browser.SendAsync(page, $"{path}/confirm", ("beneficiary", amina), ("beneficiary", yusuf));
        Assert.Equal($"{path}?done=confirmed", confirmed.Response.Headers.Location?.OriginalString);
        var claim = await Json(await ngo.GetAsync($"/api/offers/{offerId}/claims/{claimId}"));
        Assert.Equal("confirmed", claim.GetProperty("status").GetString());
        Assert.Equal(2, claim.GetProperty("beneficiariesNamed").GetInt32());
        page = await browser.GetAsync($"{path}?done=confirmed");
        Assert.Contains("Yusuf", page.Text);

        // Another association's staff: not found, nothing of it.
        var other = new PageClient(App);
        await MemberAsync("sophie", NewOrg("ngo"), Role.Ngo);
        var refused = await OidcProvider.Shared.SignInAsync(other, "sophie", path);
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        Assert.DoesNotContain("Yusuf", refused.Text);

        // Released: the seats go back.
        var released = await browser.SubmitAsync(page, $"{path}/release");
        Assert.Equal($"{path}?done=released", released.Response.Headers.Location?.OriginalString);
        Assert.Equal("released", (await Json(await ngo.GetAsync($"/api/offers/{offerId}/claims/{claimId}"))).GetProperty("status").GetString());
    }
}
