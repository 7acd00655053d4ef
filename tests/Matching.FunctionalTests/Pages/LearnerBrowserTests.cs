using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring.Sessions;
using Matching.Security;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// The learner's journey in a real browser (Debian's Chromium, 320 px wide): from the SMS in the sink to an answered
/// check-in, once with JavaScript off and mouse clicks, once by keyboard alone; every page checked by axe-core and
/// for sideways scrolling. The app on Kestrel over its own Azurite, with a clock the test moves.
/// </summary>
public sealed class LearnerBrowserTests : IAsyncLifetime
{
    private const string Language = "tw";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private Azurite _azurite = null!;
    private MatchingApp _app = null!;
    private Uri _site = null!;
    private Browser _browser = null!;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync();
        var settings = new Dictionary<string, string?>(SmsSink.Shared.Settings)
        {
            ["Matching:HostJsonPath"] = MatchingApp.FastHostJson(),
            ["MentoringDeadlinesSchedule"] = "0 0 0 1 1 *", ["FollowUpAlertsSchedule"] = "0 0 0 1 1 *", ["RetrainSchedule"] = "0 0 0 1 1 *",
            ["Mentoring:LoadSpreadWeight"] = "0", ["Mentoring:ExplorationShare"] = "0",
        };
        _app = new MatchingApp(_azurite.ConnectionString, settings, _clock);
        _site = _app.StartOnKestrel();
        _browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    /// <summary>A match with a meeting proposed by the mentor, and the learner's link sent to their phone: the link's path.</summary>
    private async Task<(HttpClient Ngo, string MatchId, string SessionId, DateTimeOffset Start, string LinkPath)> ProposedMeetingAsync()
    {
        var mentor = await MentorAsync(_app, "Nadia", Language, ["cvReview"]);
        var ngo = _app.ClientFor(Role.Ngo, NewOrg("ngo"));
        var phone = "+336" + Random.Shared.Next(10_000_000, 99_999_999);
        var learner = await LearnerAsync(ngo, LearnerProfile(Language, contact: new { kind = "phone", value = phone }), name: "Yusuf");
        var matchId = await MatchedAsync(ngo, mentor, learner);
        var start = NextInParis(DayOfWeek.Monday, 18, 30);
        var session = await Read<SessionsApi.SessionView>(await mentor.PostAsJsonAsync($"/api/matches/{matchId}/sessions", new { start, durationMinutes = 60, mode = "phone" }));
        (await ngo.PostAsJsonAsync($"/api/learners/{learner}/access-link", new { sendBySms = true })).EnsureSuccessStatusCode();
        var sms = (await SmsSink.Shared.ForAsync(phone, atLeast: 3)).Single(t => t.Message.Contains("/l/", StringComparison.Ordinal)).Message;
        return (ngo, matchId, session.Id, start, new Uri(sms[sms.IndexOf("http", StringComparison.Ordinal)..].Trim()).AbsolutePath);
    }

    private async Task ExpectGoodPageAsync(IPage page, IBrowserContext axeContext)
    {
        Assert.Equal(0, await Browser.OverflowAsync(page));
        // axe runs in a context with script on (it is a script), on the same address with the same cookies.
        var twin = await axeContext.NewPageAsync();
        await axeContext.AddCookiesAsync((await page.Context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }));
        await twin.GotoAsync(page.Url);
        Assert.Empty(await Browser.SeriousViolationsAsync(twin));
        await twin.CloseAsync();
    }

    [Fact]
    public async Task With_script_off_the_learner_goes_from_the_sms_to_an_answered_check_in()
    {
        var (ngo, matchId, sessionId, start, link) = await ProposedMeetingAsync();
        await using var phone = await _browser.PhoneAsync(javaScript: false);
        await using var axe = await _browser.PhoneAsync();
        var page = await phone.NewPageAsync();

        await page.GotoAsync(new Uri(_site, link).ToString());
        Assert.Equal("Bonjour Yusuf", await page.Locator("h1").InnerTextAsync());
        await ExpectGoodPageAsync(page, axe);

        await page.GetByRole(AriaRole.Button, new() { Name = "Oui, je viens" }).ClickAsync();
        Assert.Contains("Merci. Votre mentor sait que vous venez.", await page.Locator("main").InnerTextAsync());
        await ExpectGoodPageAsync(page, axe);

        _clock.SetUtcNow(start.AddMinutes(61));
        await _app.RunTimerAsync("ExpireMentoringDeadlines");
        await page.ReloadAsync();
        await ExpectGoodPageAsync(page, axe);
        await page.GetByRole(AriaRole.Button, new() { Name = "Oui, nous nous sommes vus" }).ClickAsync();
        Assert.Contains("Merci pour votre réponse.", await page.Locator("main").InnerTextAsync());

        var recorded = (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single(s => s.Id == sessionId);
        Assert.Equal(SessionStatus.Confirmed, recorded.Status);
        Assert.Equal(Attendance.Held, recorded.Learner?.Attendance);
    }

    [Fact]
    public async Task By_keyboard_alone_the_learner_confirms_the_meeting_and_the_other_pages_pass_axe()
    {
        var (ngo, matchId, _, _, link) = await ProposedMeetingAsync();
        await using var phone = await _browser.PhoneAsync();
        var page = await phone.NewPageAsync();
        await page.GotoAsync(new Uri(_site, link).ToString());

        // The first Tab reaches the skip link; Tab on until the confirm button has the focus, then Enter.
        for (var i = 0; i < 12 && await page.EvaluateAsync<string>("() => document.activeElement?.textContent?.trim() ?? ''") != "Oui, je viens"; i++)
            await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Oui, je viens", await page.EvaluateAsync<string>("() => document.activeElement?.textContent?.trim() ?? ''"));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/l?done=confirmed");
        Assert.Equal(SessionStatus.Confirmed, (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single().Status);

        // The skip link is the first stop and leads to the content; the focus is always visible (a 3 px outline).
        await page.ReloadAsync();
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Aller au contenu", await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()"));
        Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));

        // The pages around the journey: in English, a link that does not work, leaving the page.
        await page.GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();
        Assert.Equal("en", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        Assert.Equal(0, await Browser.OverflowAsync(page));
        Assert.Empty(await Browser.SeriousViolationsAsync(page));
        await page.GetByRole(AriaRole.Button, new() { Name = "Leave this page on this phone" }).ClickAsync();
        Assert.Contains("You have left your page", await page.Locator("h1").InnerTextAsync());
        Assert.Empty(await Browser.SeriousViolationsAsync(page));
        await page.GotoAsync(new Uri(_site, "/l/" + new string('x', 43)).ToString());
        Assert.Empty(await Browser.SeriousViolationsAsync(page));
        Assert.Equal(0, await Browser.OverflowAsync(page));
    }

    /// <summary>The checks above can fail: a page with an unlabelled button, text too pale to read, and a wide table is seen.</summary>
    [Fact]
    public async Task The_checks_see_a_page_that_fails_them()
    {
        await using var phone = await _browser.PhoneAsync();
        var page = await phone.NewPageAsync();
        await page.SetContentAsync("""
            <!DOCTYPE html><html><head><title>t</title></head><body><button></button><p style="color:#ddd;background:#fff">pale</p>
            <table style="width:600px"><tr><td>wide</td></tr></table></body></html>
            """);
        var violations = await Browser.SeriousViolationsAsync(page);
        Assert.Contains(violations, v => v.StartsWith("button-name", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("color-contrast", StringComparison.Ordinal));
        Assert.True(await Browser.OverflowAsync(page) > 0);
    }
}
