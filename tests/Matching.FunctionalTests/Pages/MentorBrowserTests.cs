using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring.Sessions;
using Matching.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// The mentor's journey in a real browser (Debian's Chromium, 320 px wide, script off): from the invitation mail in
/// smtp4dev, through signing in at the local OpenID provider, joining, a first profile, to accepting an offer and
/// confirming a meeting; every page checked by axe-core and for sideways scrolling. The app on Kestrel, at the address
/// the provider knows.
/// </summary>
public sealed class MentorBrowserTests : IAsyncLifetime
{
    private Azurite _azurite = null!;
    private Smtp4dev _mail = null!;
    private MatchingApp _app = null!;
    private Uri _site = null!;
    private Browser _browser = null!;

    public async Task InitializeAsync()
    {
        var azurite = Azurite.StartAsync();
        var mail = Smtp4dev.StartAsync();
        (_azurite, _mail) = (await azurite, await mail);
        var site = $"http://127.0.0.1:{OidcProvider.Shared.BrowserPort}";
        var settings = new Dictionary<string, string?>(_mail.MailSettings)
        {
            ["Matching:HostJsonPath"] = MatchingApp.FastHostJson(), ["Notifications:LinkBaseUrl"] = site,
            ["Mentoring:LoadSpreadWeight"] = "0", ["Mentoring:ExplorationShare"] = "0",
        };
        foreach (var (key, value) in OidcProvider.Shared.Settings) settings[key] = value;
        _app = new MatchingApp(_azurite.ConnectionString, settings);
        _site = _app.StartOnKestrel(OidcProvider.Shared.BrowserPort);
        _browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _app.DisposeAsync();
        await _mail.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    private static async Task ExpectGoodPageAsync(IPage page, IBrowserContext axeContext)
    {
        var wide = await page.EvaluateAsync<string>("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).join(' ')");
        Assert.True(await Browser.OverflowAsync(page) == 0, wide);
        var twin = await axeContext.NewPageAsync();
        await axeContext.AddCookiesAsync((await page.Context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }));
        await twin.GotoAsync(page.Url);
        var violations = await Browser.SeriousViolationsAsync(twin);
        Assert.True(violations.Count == 0, $"{page.Url}: {string.Join("\n", violations)}");
        await twin.CloseAsync();
    }

    [Fact]
    public async Task With_script_off_the_mentor_goes_from_the_invitation_mail_to_a_confirmed_meeting()
    {
        const string language = "wo";
        var network = NewOrg("net");
        await _app.Services.GetRequiredService<Matching.Organisations.OrganisationDirectory>().CreateAsync(
            new Matching.Organisations.OrganisationInput(network, "Bénévoles Pro", Matching.Organisations.OrganisationKind.VolunteerNetwork), "test", CancellationToken.None);
        (await _app.ClientFor(Role.Admin, network).PostAsJsonAsync($"/api/organisations/{network}/invitations", new { email = "karim@example.org", role = "mentor" }))
            .EnsureSuccessStatusCode();
        var mail = await _mail.MessageToAsync("karim@example.org");
        var button = System.Text.RegularExpressions.Regex.Match(mail.HtmlBody ?? "", "href=\"([^\"]+/invitations/[^\"]+)\"").Groups[1].Value;
        Assert.StartsWith(_site.ToString().TrimEnd('/'), button);

        await using var phone = await _browser.PhoneAsync(javaScript: false);
        await using var axe = await _browser.PhoneAsync();
        var page = await phone.NewPageAsync();
        await page.GotoAsync(button);
        // At the provider: its own sign-in form (any name), then its consent, then back to the invitation.
        for (var step = 0; step < 5 && !page.Url.StartsWith(_site.ToString(), StringComparison.Ordinal); step++)
        {
            if (await page.Locator("input[name=login]").CountAsync() > 0)
            {
                await page.FillAsync("input[name=login]", "karim");
                await page.FillAsync("input[name=password]", "any");
            }
            await page.Locator("button[type=submit]").First.ClickAsync();
        }
        Assert.Equal("Rejoindre Bénévoles Pro", await page.Locator("h1").InnerTextAsync());
        await ExpectGoodPageAsync(page, axe);
        await page.GetByRole(AriaRole.Button, new() { Name = "Rejoindre" }).ClickAsync();

        // His first profile: a welcome, his name already there; what he helps with, his language, his evenings.
        Assert.Contains("Bienvenue !", await page.Locator("main").InnerTextAsync());
        Assert.Equal("Karim Haddad", await page.InputValueAsync("#displayName"));
        await ExpectGoodPageAsync(page, axe);
        await page.CheckAsync("#expertise-CvReview");
        await page.CheckAsync("#mode-Phone");
        await page.SelectOptionAsync("#language1", language);
        await page.SelectOptionAsync("#level1", "Native");
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "lundi, Soir (18 h à 21 h)" }).CheckAsync();
        await page.FillAsync("#capacity", "2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer mon profil" }).ClickAsync();
        Assert.Contains("Votre profil est enregistré.", await page.Locator("main").InnerTextAsync());
        await ExpectGoodPageAsync(page, axe);

        // A learner asks; the association chooses Karim: his page shows the offer, and he accepts it.
        var ngo = _app.ClientFor(Role.Ngo, NewOrg("ngo"));
        var learner = await LearnerAsync(ngo, LearnerProfile(language));
        var request = await ProposedAsync(ngo, learner);
        var requestId = request.GetProperty("id").GetString()!;
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose",
            new { mentorId = request.GetProperty("proposals")[0].GetProperty("mentorId").GetString() })).EnsureSuccessStatusCode();
        await page.ReloadAsync();
        Assert.Contains("relecture de CV", await page.Locator("main").InnerTextAsync());
        await ExpectGoodPageAsync(page, axe);
        await page.GetByRole(AriaRole.Button, new() { Name = "Accepter" }).ClickAsync();
        Assert.Contains("La mise en relation est faite", await page.Locator("main").InnerTextAsync());

        // The learner's side proposes a meeting by phone; he confirms it.
        var session = await Read<SessionsApi.SessionView>(await ngo.PostAsJsonAsync($"/api/matches/{requestId}/sessions",
            new { start = NextInParis(DayOfWeek.Monday, 18, 30), durationMinutes = 60, mode = "phone" }));
        await page.ReloadAsync();
        await ExpectGoodPageAsync(page, axe);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirmer le rendez-vous" }).ClickAsync();
        Assert.Contains("Le rendez-vous est confirmé", await page.Locator("main").InnerTextAsync());
        Assert.Equal(SessionStatus.Confirmed,
            (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{requestId}/sessions"))).Single(s => s.Id == session.Id).Status);

        // His match's page, and his notifications and data pages, pass the same checks.
        await page.GetByRole(AriaRole.Link, new() { Name = "Rendez-vous avec Amina" }).ClickAsync();
        await ExpectGoodPageAsync(page, axe);
        await page.GotoAsync(new Uri(_site, "/moi/notifications").ToString());
        await ExpectGoodPageAsync(page, axe);
        await page.GotoAsync(new Uri(_site, "/m/data").ToString());
        await ExpectGoodPageAsync(page, axe);
    }
}
