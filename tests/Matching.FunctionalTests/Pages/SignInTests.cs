using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Organisations;
using Matching.Security;
using Microsoft.Extensions.DependencyInjection;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Signing in to the pages at a real OpenID provider (tools/oidc-provider), authorization code with PKCE, then the
/// session cookie; what a person sees comes from their memberships, resolved as the API resolves a token's person.
/// </summary>
public sealed class SignInTests() : OwnStorageTests(OidcProvider.Shared.Settings)
{
    private OrganisationDirectory Directory => App.Services.GetRequiredService<OrganisationDirectory>();

    private Task<string> MemberAsync(string name, string org, OrganisationKind kind, Role role) => OidcProvider.Shared.MemberAsync(App, name, org, kind, role);

    [Fact]
    public async Task A_person_signs_in_at_the_provider_sees_their_organisations_and_signs_out()
    {
        var browser = new PageClient(App);
        var page = await OidcProvider.Shared.SignInAsync(browser, "camille");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("Bonjour Camille Durand", page.Document.QuerySelector("h1")?.TextContent);
        Assert.Contains("Vous n'êtes encore membre d'aucune organisation", page.Text);

        var org = NewOrg("ngo");
        await MemberAsync("camille", org, OrganisationKind.Ngo, Role.Admin);
        page = await browser.GetAsync("/moi");
        Assert.Contains($"Organisation {org}", page.Text);
        Assert.Contains("Votre rôle : administrateur", page.Text);

        var left = await browser.SubmitAsync(page, "/signout");
        Assert.Contains("Vous êtes déconnecté", left.Text);
        var again = await browser.GetAsync("/moi");
        Assert.Equal(HttpStatusCode.SeeOther, again.Status);
        Assert.Equal("/signin?back=%2Fmoi", again.Response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task The_session_cookie_is_http_only_and_lax_and_the_return_address_stays_on_the_site()
    {
        var browser = new PageClient(App);
        var toProvider = await browser.GetAsync("/signin?back=" + Uri.EscapeDataString("https://evil.example/"));
        Assert.Equal(HttpStatusCode.Redirect, toProvider.Status);
        Assert.StartsWith(OidcProvider.Shared.Issuer, toProvider.Response.Headers.Location!.ToString());
        // A made-up answer from "the provider" (no state, no code the provider gave): refused with a page, no session.
        var forged = await browser.GetAsync("/signin-oidc?code=made-up&state=made-up");
        Assert.Equal("/signin?failed=1", forged.Response.Headers.Location?.OriginalString);
        forged = await browser.GetAsync("/signin?failed=1");
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Contains("La connexion n'a pas abouti", forged.Text);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetAsync("/moi")).Status);

        var signedIn = new PageClient(App);
        await OidcProvider.Shared.SignInAsync(signedIn, "sophie", "/moi");
        var cookies = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>>()
            .Get(PageSessions.CookieScheme).Cookie;
        Assert.True(cookies.HttpOnly);
        Assert.Equal(Microsoft.AspNetCore.Http.SameSiteMode.Lax, cookies.SameSite);
        Assert.Equal(Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest, cookies.SecurePolicy);
    }

    [Fact]
    public async Task A_mentor_signs_in_on_their_page_and_accepts_the_offer_and_staff_may_not_open_it()
    {
        const string language = "ty";
        var network = NewOrg("net");
        var karim = await MemberAsync("karim", network, OrganisationKind.VolunteerNetwork, Role.Mentor);
        // His profile, as he would give it (the API, with a token naming his membership's caller).
        var mentor = App.ClientFor(Role.Mentor, network, subject: karim);
        (await mentor.PutAsJsonAsync("/api/mentors/me", Mentor("Karim", language, ["cvReview"]))).EnsureSuccessStatusCode();
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var learner = await LearnerAsync(ngo, LearnerProfile(language));
        var request = await ProposedAsync(ngo, learner);
        var requestId = request.GetProperty("id").GetString()!;
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose",
            new { mentorId = request.GetProperty("proposals")[0].GetProperty("mentorId").GetString() })).EnsureSuccessStatusCode();

        // The mail's button leads to /m: signed in first, then there.
        var browser = new PageClient(App);
        var page = await OidcProvider.Shared.SignInAsync(browser, "karim", "/m");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("En attente de votre réponse", page.Text);
        Assert.Contains("relecture de CV", page.Text);
        Assert.DoesNotContain("Amina", page.Text); // who asks is not shown before he accepts
        var formToken = page.Document.QuerySelector("input[name=_form]")!.GetAttribute("value")!;
        await Browser.ExpectGoodMarkupAsync(page);
        await Browser.ExpectGoodMarkupAsync(await browser.GetAsync("/moi"));
        var accepted = await browser.SubmitAsync(page, $"/m/offers/{requestId}/accept");
        Assert.Equal(HttpStatusCode.SeeOther, accepted.Status);
        Assert.Equal("active", (await Json(await ngo.GetAsync($"/api/matches/{requestId}"))).GetProperty("status").GetString());
        page = await browser.GetAsync("/m?done=accepted");
        Assert.Contains("La mise en relation est faite", page.Text);
        Assert.Contains("Amina", page.Text); // matched: now he sees her first name

        // The learner's side proposes a meeting: Karim confirms it on his page, and gets its calendar file.
        var session = await Read<Matching.Mentoring.Sessions.SessionsApi.SessionView>(await ngo.PostAsJsonAsync($"/api/matches/{requestId}/sessions",
            new { start = NextInParis(DayOfWeek.Monday, 18, 30), durationMinutes = 60, mode = "phone" }));
        page = await browser.GetAsync("/m");
        Assert.Contains("Rendez-vous proposé", page.Text);
        var confirmed = await browser.SubmitAsync(page, $"/m/sessions/{requestId}/{session.Id}/confirm");
        Assert.Equal("/m?done=confirmed", confirmed.Response.Headers.Location?.OriginalString);
        Assert.Equal(Matching.Mentoring.Sessions.SessionStatus.Confirmed,
            (await Read<List<Matching.Mentoring.Sessions.SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{requestId}/sessions"))).Single().Status);
        page = await browser.GetAsync("/m?done=confirmed");
        Assert.Contains("Le rendez-vous est confirmé", page.Text);
        var calendar = await browser.Http.GetAsync(page.Document.QuerySelector("a[href$='/calendar']")!.GetAttribute("href"));
        Assert.Contains("BEGIN:VEVENT", await calendar.Content.ReadAsStringAsync());
        await Browser.ExpectGoodMarkupAsync(page);

        // Declining it now (a second tab left open): the API's own refusal, on the page.
        var late = await browser.PostAsync($"/m/offers/{requestId}/decline", ("_form", formToken), ("reason", "noTimeNow"));
        Assert.True(late.Status is HttpStatusCode.NotFound or HttpStatusCode.Conflict, $"{late.Status}: {late.Text}");
        Assert.Contains("notice problem", late.Document.Body!.InnerHtml);

        // NGO staff signed in: the mentor's page is not theirs.
        var lea = new PageClient(App);
        await MemberAsync("lea", NewOrg("ngo"), OrganisationKind.Ngo, Role.Ngo);
        var refused = await OidcProvider.Shared.SignInAsync(lea, "lea", "/m");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.DoesNotContain("relecture de CV", refused.Text);
    }
}
