using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Learners;
using Matching.Mentoring.Sessions;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// The learner's page, opened from the personal link their NGO gives them: no account, no script, French first. The
/// link opens a session (a cookie); the page shows the mentor, the next meeting and the check-in; its forms confirm, ask
/// for another day and answer, through the same rules as the API. Its own Azurite and app, whose clock the test moves.
/// </summary>
public sealed class LearnerPageTests() : OwnStorageTests(fakeClock: true)
{
    /// <summary>A mentor in Paris and a learner in Dakar time, matched; the learner's id and their NGO.</summary>
    private async Task<(HttpClient Mentor, HttpClient Ngo, string MatchId, string LearnerId)> MatchAsync(string language = "tl")
    {
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        (await mentor.PutAsJsonAsync("/api/mentors/me", new
        {
            displayName = "Nadia Benali", contactEmail = "nadia@example.org",
            languages = new object[] { new { language, level = "native" } }, expertise = new[] { "cvReview" },
            modes = new[] { "video", "phone" },
            availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "18:00:00", end = "20:00:00" } } },
            capacity = 3,
        })).EnsureSuccessStatusCode();
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var learner = await LearnerAsync(ngo, new
        {
            languages = new object[] { new { language, level = "b1" } },
            availability = new { timeZone = "Africa/Dakar", slots = new[] { new { day = "monday", start = "17:00:00", end = "20:00:00" } } },
            modes = new[] { "video", "phone" },
        }, name: "Yusuf Ahmadi");
        return (mentor, ngo, await MatchedAsync(ngo, mentor, learner), learner);
    }

    /// <summary>The code of a fresh personal link (the part of its address after /l/).</summary>
    private static async Task<string> LinkCodeAsync(HttpClient ngo, string learnerId) =>
        (await Read<AccessLinkView>(await ngo.PostAsync($"/api/learners/{learnerId}/access-link", null))).Token[IAccessLinks.Prefix.Length..];

    [Fact]
    public async Task A_learner_opens_their_link_confirms_the_proposed_meeting_and_answers_the_check_in_with_one_button()
    {
        var (mentor, ngo, matchId, learnerId) = await MatchAsync();
        var start = NextInParis(DayOfWeek.Monday, 18, 30);
        var session = await Read<SessionsApi.SessionView>(await mentor.PostAsJsonAsync($"/api/matches/{matchId}/sessions",
            new { start, durationMinutes = 60, mode = "video", videoLink = "https://meet.example.org/nadia" }));
        var browser = new PageClient(App);

        // The link opens a session and shows the page at once (no redirect: a round trip less on a slow network); nothing
        // about the link may travel on: no referrer, and the page's own links lead to /l, not to the link.
        var code = await LinkCodeAsync(ngo, learnerId);
        var opened = await browser.GetAsync($"/l/{code}");
        Assert.Equal(HttpStatusCode.OK, opened.Status);
        Assert.Equal("Bonjour Yusuf", opened.Document.QuerySelector("h1")?.TextContent);
        var cookie = Assert.Single(opened.Response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(LinkSession.Cookie + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("no-referrer", opened.Response.Headers.GetValues("Referrer-Policy").Single());
        Assert.DoesNotContain(code, opened.Document.Body!.InnerHtml);

        // The page, in French, in plain words: the mentor's first name only, the meeting in the learner's own time (Dakar).
        var page = await browser.GetAsync("/l");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("fr", page.Document.DocumentElement.GetAttribute("lang"));
        Assert.Equal("noindex, nofollow", page.Response.Headers.GetValues("X-Robots-Tag").Single());
        Assert.Contains("no-store", page.Response.Headers.CacheControl?.ToString());
        Assert.Equal("Bonjour Yusuf", page.Document.QuerySelector("h1")?.TextContent);
        Assert.Contains("Votre mentor s'appelle Nadia", page.Text);
        Assert.DoesNotContain("Benali", page.Text);
        Assert.DoesNotContain("nadia@example.org", page.Text);
        Assert.Contains("Un rendez-vous est proposé", page.Text);
        var dakar = TimeZoneInfo.ConvertTime(start, TimeZoneInfo.FindSystemTimeZoneById("Africa/Dakar"));
        Assert.Contains($"de {dakar:H' h 'mm} à {dakar.AddHours(1):H' h 'mm}", page.Text);
        Assert.Contains("Vous travaillez ensemble sur : votre CV.", page.Text);
        Assert.DoesNotContain("https://meet.example.org/nadia", page.Document.Body!.InnerHtml); // the video link once confirmed only

        // A form posted without the page's token is refused, and changes nothing.
        var confirm = $"/l/sessions/{matchId}/{session.Id}/confirm";
        var forged = await browser.PostAsync(confirm);
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Contains("Le formulaire a expiré", forged.Text);
        Assert.Equal(SessionStatus.Proposed, (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single().Status);

        // "Oui, je viens": confirmed as the API would, then the page thanks and offers the calendar and the video call.
        var confirmed = await browser.SubmitAsync(page, confirm);
        Assert.True(HttpStatusCode.SeeOther == confirmed.Status, confirmed.Text);
        Assert.Equal("/l?done=confirmed", confirmed.Response.Headers.Location?.OriginalString);
        Assert.Equal(SessionStatus.Confirmed, (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single().Status);
        page = await browser.GetAsync("/l?done=confirmed");
        Assert.Contains("Merci. Votre mentor sait que vous venez.", page.Text);
        Assert.Contains("Votre prochain rendez-vous", page.Text);
        Assert.Equal("https://meet.example.org/nadia", page.Document.QuerySelector("a[href^='https://meet']")?.GetAttribute("href"));
        var calendar = await browser.Http.GetAsync(page.Document.QuerySelector("a[href$='/calendar']")!.GetAttribute("href"));
        Assert.Equal("text/calendar", calendar.Content.Headers.ContentType?.MediaType);
        Assert.Contains("BEGIN:VEVENT", await calendar.Content.ReadAsStringAsync());

        // After the meeting: the check-in's three buttons; one press answers it, for the NGO to see.
        Clock.SetUtcNow(start.AddMinutes(61));
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        page = await browser.GetAsync("/l");
        Assert.Contains("Votre rendez-vous a-t-il eu lieu ?", page.Text);
        var checkIn = $"/l/check-ins/{session.Id}";
        Assert.Equal(["held", "noShow", "moved"], page.Form(checkIn).QuerySelectorAll("button[name=attendance]").Select(b => b.GetAttribute("value")));
        var answered = await browser.SubmitAsync(page, checkIn, ("attendance", "held"));
        Assert.Equal("/l?done=answered", answered.Response.Headers.Location?.OriginalString);
        var recorded = (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single();
        Assert.Equal(Attendance.Held, recorded.Learner?.Attendance);
        Assert.DoesNotContain("Votre rendez-vous a-t-il eu lieu ?", (await browser.GetAsync("/l")).Text);

        // Answering otherwise now is refused with the API's own reason, in French, on the page.
        var again = await browser.SubmitAsync(page, checkIn, ("attendance", "noShow"));
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Contains("Le bilan a déjà reçu une réponse", again.Text);
    }

    [Fact]
    public async Task Another_day_is_asked_with_one_button_and_a_session_of_someone_else_is_not_found()
    {
        var (mentor, ngo, matchId, learnerId) = await MatchAsync();
        var session = await Read<SessionsApi.SessionView>(await mentor.PostAsJsonAsync($"/api/matches/{matchId}/sessions",
            new { start = NextInParis(DayOfWeek.Monday, 18, 30), durationMinutes = 60, mode = "phone" }));
        var browser = new PageClient(App);
        await browser.GetAsync($"/l/{await LinkCodeAsync(ngo, learnerId)}");
        var page = await browser.GetAsync("/l");
        Assert.Contains("Par téléphone. Nadia va vous appeler.", page.Text);

        // Another learner's session, through the same form: not found, as the API answers.
        var (_, _, otherMatch, _) = await MatchAsync("tn");
        var stranger = await browser.SubmitAsync(page, $"/l/sessions/{matchId}/{session.Id}/another-time");
        Assert.Equal(HttpStatusCode.SeeOther, stranger.Status); // (its own session: declined)
        var notMine = await browser.PostAsync($"/l/sessions/{otherMatch}/{session.Id}/confirm",
            ("_form", page.Document.QuerySelector("input[name=_form]")!.GetAttribute("value")!));
        Assert.Equal(HttpStatusCode.NotFound, notMine.Status);
        Assert.Contains("introuvable", notMine.Text);
        Assert.Equal(SessionStatus.Declined, (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single().Status);
        Assert.Contains("Merci. Votre mentor va proposer un autre jour.", (await browser.GetAsync("/l?done=asked")).Text);
    }

    [Fact]
    public async Task Without_a_valid_link_there_is_no_page_and_a_revoked_link_ends_the_session()
    {
        var (_, ngo, _, learnerId) = await MatchAsync();
        var browser = new PageClient(App);

        var none = await browser.GetAsync("/l");
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Contains("Votre lien ne marche pas", none.Text);
        var unknown = await browser.GetAsync("/l/" + new string('x', 43));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains("Ce lien ne marche pas", unknown.Text);
        Assert.False(unknown.Response.Headers.Contains("Set-Cookie"));

        var opened = await browser.GetAsync($"/l/{await LinkCodeAsync(ngo, learnerId)}");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/l")).Status);

        // The cookie's hint of whose link it is (read together with the link: link~organisation~learner) must name the
        // link's own learner: another learner of the same association written there opens nothing.
        var session = opened.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(LinkSession.Cookie + "=", StringComparison.Ordinal)).Split(';')[0];
        Assert.EndsWith($"~{learnerId}", session);
        var other = await LearnerAsync(ngo, new { languages = new[] { new { language = "tl", level = "b1" } },
            availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "17:00:00", end = "20:00:00" } } }, modes = new[] { "phone" } }, name: "Awa");
        using var bare = App.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/l");
        forged.Headers.Add("Cookie", session[..session.LastIndexOf('~')] + "~" + other);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bare.SendAsync(forged)).StatusCode);
        using var honest = new HttpRequestMessage(HttpMethod.Get, "/l");
        honest.Headers.Add("Cookie", session);
        Assert.Equal(HttpStatusCode.OK, (await bare.SendAsync(honest)).StatusCode);
        (await ngo.DeleteAsync($"/api/learners/{learnerId}/access-link")).EnsureSuccessStatusCode();
        var revoked = await browser.GetAsync("/l");
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.Status);
        Assert.True(revoked.Response.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith(LinkSession.Cookie + "=;", StringComparison.Ordinal)),
            string.Join(" | ", revoked.Response.Headers.GetValues("Set-Cookie")));

        // Leaving the page on a phone: the cookie goes, the link still works.
        await browser.GetAsync($"/l/{await LinkCodeAsync(ngo, learnerId)}");
        var home = await browser.GetAsync("/l");
        var left = await browser.SubmitAsync(home, "/l/sign-out");
        Assert.Contains("Vous avez quitté votre page", left.Text);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/l")).Status);
    }

    [Fact]
    public async Task The_language_switch_keeps_the_choice_and_goes_back_only_to_a_page_of_the_app()
    {
        var (_, ngo, _, learnerId) = await MatchAsync();
        var browser = new PageClient(App);
        await browser.GetAsync($"/l/{await LinkCodeAsync(ngo, learnerId)}");
        var page = await browser.GetAsync("/l");
        var toEnglish = page.Document.QuerySelector("a[hreflang=en]")!.GetAttribute("href")!;
        var switched = await browser.GetAsync(toEnglish);
        Assert.Equal(HttpStatusCode.SeeOther, switched.Status);
        Assert.Equal("/l", switched.Response.Headers.Location?.OriginalString);
        page = await browser.GetAsync("/l");
        Assert.Equal("en", page.Document.DocumentElement.GetAttribute("lang"));
        Assert.Equal("Hello Yusuf", page.Document.QuerySelector("h1")?.TextContent);
        Assert.Contains("Your mentor is Nadia", page.Text);

        foreach (var elsewhere in new[] { "//evil.example/", "https://evil.example/", "/\\evil.example" })
            Assert.Equal("/", (await browser.GetAsync($"/language/fr?back={Uri.EscapeDataString(elsewhere)}")).Response.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/language/xx")).Status);
    }

    [Fact]
    public async Task The_stylesheet_is_in_the_page_allowed_by_its_hash_alone_and_pages_are_not_part_of_the_API_document()
    {
        var browser = new PageClient(App);
        var page = await browser.GetAsync("/l/" + new string('x', 43)); // any page: here the one for a link that does not work
        Assert.Equal(Matching.Pages.Stylesheet.Text, page.Document.QuerySelector("head style")?.TextContent);
        var policy = page.Response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains($"style-src {Matching.Pages.Stylesheet.CspSource};", policy);
        Assert.DoesNotContain("'unsafe-inline'", policy);
        Assert.DoesNotContain("script-src", policy); // default-src 'none': no script at all
        var document = await (await browser.Http.GetAsync("/api/openapi/v1.json")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("\"/l/", document);
        Assert.DoesNotContain("\"/language/", document);
        Assert.Contains("\"/api/matches\"", document);
    }
}
