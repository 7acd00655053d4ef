using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring.Sessions;
using Matching.Organisations;
using Matching.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>One Azurite, one real SMTP server, the local OpenID provider, and the app over them with a clock the tests move.</summary>
public sealed class MentorPagesFixture : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;
    public Smtp4dev Mail { get; private set; } = null!;
    public MatchingApp App { get; private set; } = null!;
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        var azurite = Azurite.StartAsync();
        var mail = Smtp4dev.StartAsync();
        (Azurite, Mail) = (await azurite, await mail);
        var settings = new Dictionary<string, string?>(Mail.MailSettings) { ["Notifications:LinkBaseUrl"] = "https://matching.test" };
        foreach (var (key, value) in OidcProvider.Shared.Settings) settings[key] = value;
        App = new MatchingApp(Azurite.ConnectionString, settings, Clock);
        _ = App.Server;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Mail.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

/// <summary>
/// The mentor's own pages: the invitation mail's button, the accept page after signing in, the profile with the same
/// rule's words beside each field, a break, meetings planned, moved and cancelled with the places open then, the
/// check-in, the end of a match, notifications, and their data.
/// </summary>
public sealed class MentorPagesTests(MentorPagesFixture fixture) : IClassFixture<MentorPagesFixture>
{
    private MatchingApp App => fixture.App;

    private async Task<string> NetworkAsync()
    {
        var network = NewOrg("net");
        await App.Services.GetRequiredService<OrganisationDirectory>().CreateAsync(new OrganisationInput(network, $"Réseau {network}", OrganisationKind.VolunteerNetwork),
            "test", CancellationToken.None);
        return network;
    }

    [Fact]
    public async Task An_invitation_is_mailed_and_its_button_leads_through_sign_in_to_joining_and_a_first_profile()
    {
        var network = await NetworkAsync();
        var admin = App.ClientFor(Role.Admin, network);
        var response = await admin.PostAsJsonAsync($"/api/organisations/{network}/invitations", new { email = "karim@example.org", role = "mentor" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var invitation = await Json(response);
        Assert.True(invitation.GetProperty("sentByMail").GetBoolean(), invitation.ToString());
        var url = invitation.GetProperty("url").GetString()!;
        Assert.Equal($"https://matching.test/invitations/{invitation.GetProperty("token").GetString()}", url);

        // The mail, in French: who invites, as what, and the button to the page that accepts it; no unsubscribe (no person yet).
        var mail = await fixture.Mail.MessageToAsync("karim@example.org", m => m.Subject?.Contains(network, StringComparison.Ordinal) == true);
        Assert.Equal($"Réseau {network} vous invite à rejoindre Matching", mail.Subject);
        Assert.Contains("comme mentor bénévole", mail.TextBody);
        Assert.Contains($"href=\"{url}\"", mail.HtmlBody);
        Assert.Null(mail.Headers["List-Unsubscribe"]);

        // The button: sign in first, then back to the invitation, which says what it offers.
        var browser = new PageClient(App);
        var path = new Uri(url).AbsolutePath;
        var page = await OidcProvider.Shared.SignInAsync(browser, "karim", path);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal($"Rejoindre Réseau {network}", page.Document.QuerySelector("h1")?.TextContent);
        Assert.Contains("vous invite à rejoindre l'organisation comme mentor bénévole", page.Text);
        await Browser.ExpectGoodMarkupAsync(page);
        var joined = await browser.SubmitAsync(page, path);
        Assert.Equal("/m/profile?welcome=1", joined.Response.Headers.Location?.OriginalString);

        // A used invitation: its page says so (the same words as the API's 410), for him or anyone.
        var used = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.Gone, used.Status);
        Assert.Contains("L'invitation a déjà servi", used.Text);

        // His first profile: his name and address from signing in; the rule's words beside the fields it refuses.
        page = await browser.GetAsync("/m/profile?welcome=1");
        Assert.Contains("Bienvenue !", page.Text);
        Assert.Equal("Karim Haddad", page.Document.QuerySelector("#displayName")?.GetAttribute("value"));
        Assert.Equal("karim@example.org", page.Document.QuerySelector("#contactEmail")?.GetAttribute("value"));
        await Browser.ExpectGoodMarkupAsync(page);
        var refused = await browser.SendAsync(page, "/m/profile", ("capacity", "0"), ("slot", ""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Contains("Certaines réponses sont à corriger", refused.Text);
        Assert.NotNull(refused.Document.QuerySelector("#expertise-problem"));
        Assert.Equal("capacity-problem", refused.Document.QuerySelector("#capacity")?.GetAttribute("aria-describedby"));
        Assert.NotNull(refused.Document.QuerySelector("#availability-problem"));
        await Browser.ExpectGoodMarkupAsync(refused);
        var mentor = App.ClientFor(Role.Mentor, network, subject: new Person(OidcProvider.Shared.Issuer, "karim").Id);
        Assert.Equal(HttpStatusCode.NotFound, (await mentor.GetAsync("/api/mentors/me")).StatusCode); // nothing half-written

        var saved = await browser.SendAsync(page, "/m/profile", ("expertise", "CvReview"), ("expertise", "InterviewPreparation"), ("modes", "Video"),
            ("modes", "Phone"), ("slot", "Monday-evening"), ("slot", "Thursday-afternoon"), ("slot", "Thursday-evening"), ("capacity", "2"), ("occupation", "développeur"));
        Assert.True(saved.Status == HttpStatusCode.SeeOther, saved.Text);
        Assert.Equal("/m?done=profile", saved.Response.Headers.Location?.OriginalString);
        var profile = await Json(await mentor.GetAsync("/api/mentors/me"));
        Assert.Equal(["cvReview", "interviewPreparation"], profile.GetProperty("expertise").EnumerateArray().Select(e => e.GetString()));
        var slots = profile.GetProperty("availability").GetProperty("slots").EnumerateArray()
            .Select(s => $"{s.GetProperty("day").GetString()} {s.GetProperty("start").GetString()}-{s.GetProperty("end").GetString()}").ToList();
        Assert.Equal(["monday 18:00:00-21:00:00", "thursday 14:00:00-21:00:00"], slots); // afternoon and evening are one slot
        Assert.Equal("fr", profile.GetProperty("languages")[0].GetProperty("language").GetString());

        // A break, then back.
        page = await browser.GetAsync("/m/profile");
        Assert.Equal("/m?done=paused", (await browser.SubmitAsync(page, "/m/pause")).Response.Headers.Location?.OriginalString);
        Assert.True((await Json(await mentor.GetAsync("/api/mentors/me"))).GetProperty("paused").GetBoolean());
        page = await browser.GetAsync("/m?done=paused");
        Assert.Contains("Vous êtes en pause", page.Text);
        page = await browser.GetAsync("/m/profile");
        await browser.SubmitAsync(page, "/m/resume");
        Assert.False((await Json(await mentor.GetAsync("/api/mentors/me"))).GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task An_open_network_takes_a_volunteer_who_ticks_the_charter_and_a_closed_one_looks_like_none()
    {
        var network = await NetworkAsync();
        var browser = new PageClient(App);
        var closed = await OidcProvider.Shared.SignInAsync(browser, "malik", $"/join/{network}");
        Assert.Equal(HttpStatusCode.NotFound, closed.Status);

        (await App.ClientFor(Role.Admin, network).PutAsJsonAsync($"/api/organisations/{network}/self-sign-up", new { open = true })).EnsureSuccessStatusCode();
        var page = await browser.GetAsync($"/join/{network}");
        Assert.Contains("La charte des bénévoles", page.Text);
        Assert.Contains(Charter.Current.Text, page.Text);
        await Browser.ExpectGoodMarkupAsync(page);
        var unticked = await browser.SubmitAsync(page, $"/join/{network}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unticked.Status);
        Assert.Contains("Cochez la case pour accepter la charte", unticked.Text);
        Assert.Empty(await App.Services.GetRequiredService<OrganisationDirectory>().MembershipsOfAsync(new Person(OidcProvider.Shared.Issuer, "malik").Id, CancellationToken.None));

        var joined = await browser.SubmitAsync(page, $"/join/{network}", ("charter", Charter.Current.Version));
        Assert.Equal("/m/profile?welcome=1", joined.Response.Headers.Location?.OriginalString);
        var membership = Assert.Single(await App.Services.GetRequiredService<OrganisationDirectory>().MembershipsOfAsync(new Person(OidcProvider.Shared.Issuer, "malik").Id, CancellationToken.None));
        Assert.Equal(Role.Mentor, membership.Role);
    }
}

/// <summary>A match, as its mentor works on it from his page: meetings, places, check-in, end. Its own app: the test moves the clock.</summary>
public sealed class MentorMatchPageTests(MentorPagesFixture fixture) : IClassFixture<MentorPagesFixture>
{
    private MatchingApp App => fixture.App;

    [Fact]
    public async Task A_mentor_plans_a_meeting_at_a_place_open_then_moves_it_answers_the_check_in_and_ends_the_match()
    {
        const string language = "to";
        var network = NewOrg("net");
        var directory = App.Services.GetRequiredService<OrganisationDirectory>();
        await directory.CreateAsync(new OrganisationInput(network, $"Réseau {network}", OrganisationKind.VolunteerNetwork), "test", CancellationToken.None);
        var invitation = await directory.InviteAsync(network, new InvitationInput("karim@example.org", Role.Mentor), "test", CancellationToken.None);
        var karim = new Person(OidcProvider.Shared.Issuer, "karim").Id;
        await directory.AcceptAsync(invitation.Token!, karim, CancellationToken.None);
        var mentor = App.ClientFor(Role.Mentor, network, subject: karim);
        var mondays = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "17:00:00", end = "21:00:00" }, new { day = "thursday", start = "17:00:00", end = "21:00:00" } } };
        (await mentor.PutAsJsonAsync("/api/mentors/me", new
        {
            displayName = "Karim Haddad", contactEmail = "karim@example.org", languages = new[] { new { language, level = "native" } }, expertise = new[] { "cvReview" },
            modes = new[] { "video", "phone", "inPerson" }, availability = mondays, capacity = 2, home = new { latitude = 48.85, longitude = 2.35 }, travelRadiusKm = 10,
        })).EnsureSuccessStatusCode();
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var learnerId = await LearnerAsync(ngo, new
        {
            languages = new[] { new { language, level = "b2" } }, availability = mondays, modes = new[] { "phone", "inPerson" },
            place = new { latitude = 48.86, longitude = 2.34 }, travelRadiusKm = 10,
        });
        var matchId = await MatchedAsync(ngo, mentor, learnerId);
        var open = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "09:00:00", end = "21:00:00" } } };
        var venue = (await Json(await ngo.PostAsJsonAsync("/api/venues", new { name = "La Ruche", address = "24 rue de l'Est, 75020 Paris", inseeCode = "75120",
            latitude = 48.857, longitude = 2.347, openingHours = open, stepFreeAccess = true }))).GetProperty("id").GetString()!;

        // From his page: the day and time, then the places open then near both of them, then the proposal.
        var browser = new PageClient(App);
        var here = $"/m/matches/{matchId}";
        var page = await OidcProvider.Shared.SignInAsync(browser, "karim", here);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("Avec Amina", page.Document.QuerySelector("h1")?.TextContent);
        var start = NextInParis(DayOfWeek.Monday, 18, 30);
        var places = await browser.SendAsync(page, $"{here}/sessions", ("start", start.ToString("yyyy-MM-ddTHH:mm")), ("mode", "InPerson"), ("step", "places"));
        Assert.Equal(HttpStatusCode.OK, places.Status);
        Assert.NotNull(places.Document.QuerySelector($"input[name=venueId][value='{venue}']"));
        Assert.Contains("La Ruche, 24 rue de l'Est", places.Text);
        await Browser.ExpectGoodMarkupAsync(places);
        Assert.Empty((await Json(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).EnumerateArray()); // finding places changes nothing

        // Without a place, the rule's words beside the place; with it, proposed.
        var noPlace = await browser.SendAsync(places, $"{here}/sessions");
        Assert.Equal(HttpStatusCode.BadRequest, noPlace.Status);
        Assert.NotNull(noPlace.Document.QuerySelector("#venueId-problem"));
        var proposed = await browser.SendAsync(places, $"{here}/sessions", ("venueId", venue));
        Assert.Equal($"{here}?done=proposed", proposed.Response.Headers.Location?.OriginalString);
        var session = (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single();
        Assert.Equal(start, session.Start);
        Assert.Equal("La Ruche", session.VenueName);

        // Waiting for the learner's side, his own proposal cannot be moved by him; once confirmed it can: to Thursday, by phone.
        page = await browser.GetAsync(here);
        Assert.Null(page.Document.QuerySelector($"a[href*='move={session.Id}']"));
        (await ngo.PostAsJsonAsync($"/api/matches/{matchId}/sessions/{session.Id}/confirm", new { })).EnsureSuccessStatusCode();
        page = await browser.GetAsync(here);
        Assert.NotNull(page.Document.QuerySelector($"a[href*='move={session.Id}']"));
        page = await browser.GetAsync($"{here}?move={session.Id}");
        var thursday = NextInParis(DayOfWeek.Thursday, 18, 0);
        var moved = await browser.SendAsync(page, $"/m/sessions/{matchId}/{session.Id}/move", ("start", thursday.ToString("yyyy-MM-ddTHH:mm")), ("mode", "Phone"),
            ("durationMinutes", "45"));
        Assert.True(moved.Status == HttpStatusCode.SeeOther, moved.Text);
        session = (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single();
        Assert.Equal((thursday, thursday.AddMinutes(45), Matching.Engine.SessionMode.Phone), (session.Start, session.End, session.Mode));

        // The learner's side confirms; after the meeting, his check-in on the page: it took place, 5 out of 5.
        (await ngo.PostAsJsonAsync($"/api/matches/{matchId}/sessions/{session.Id}/confirm", new { })).EnsureSuccessStatusCode();
        fixture.Clock.SetUtcNow(thursday.AddMinutes(50));
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        browser = new PageClient(App); // a day later: signed in again
        page = await OidcProvider.Shared.SignInAsync(browser, "karim", here);
        Assert.Contains("Comment s'est passé le rendez-vous", page.Text);
        await Browser.ExpectGoodMarkupAsync(page);
        var answered = await browser.SendAsync(page, $"{here}/check-ins/{session.Id}", ("attendance", "held"), ("rating", "5"));
        Assert.Equal($"{here}?done=answered", answered.Response.Headers.Location?.OriginalString);
        var recorded = (await Read<List<SessionsApi.SessionView>>(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).Single();
        Assert.Equal((Attendance.Held, (int?)5), (recorded.Mentor?.Attendance, recorded.Mentor?.Rating));

        // The end of the match, with its outcome, for the association to see.
        page = await browser.GetAsync(here);
        var ended = await browser.SendAsync(page, $"{here}/end", ("outcome", "goalReachedJob"));
        Assert.Equal($"{here}?done=ended", ended.Response.Headers.Location?.OriginalString);
        var match = await Json(await ngo.GetAsync($"/api/matches/{matchId}"));
        Assert.Equal(("ended", "goalReachedJob"), (match.GetProperty("status").GetString(), match.GetProperty("outcome").GetString()));

        // Someone else's match, or none: not found, nothing of it shown.
        var other = await browser.GetAsync($"/m/matches/{Guid.NewGuid():N}");
        Assert.Equal(HttpStatusCode.NotFound, other.Status);
    }
}
