using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;
using Matching.Notifications;
using Matching.Security;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>One Azurite, one real SMTP server (smtp4dev, STARTTLS and login), one webhook receiver, and the app over them with a clock the tests move.</summary>
public sealed class NotificationFixture : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;
    public Smtp4dev Mail { get; private set; } = null!;
    public WebhookReceiver Hooks { get; private set; } = null!;
    public MatchingApp App { get; private set; } = null!;
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        var azurite = Azurite.StartAsync();
        var mail = Smtp4dev.StartAsync();
        Hooks = await WebhookReceiver.StartAsync();
        (Azurite, Mail) = (await azurite, await mail);
        var settings = new Dictionary<string, string?>(Mail.MailSettings)
        {
            ["Matching:HostJsonPath"] = MatchingApp.FastHostJson(),
            ["MentoringDeadlinesSchedule"] = "0 0 0 1 1 *", ["FollowUpAlertsSchedule"] = "0 0 0 1 1 *", ["RetrainSchedule"] = "0 0 0 1 1 *",
            ["RemindersSchedule"] = "0 0 0 1 1 *", ["OutboxSweepSchedule"] = "0 0 0 1 1 *",
            ["Mentoring:LoadSpreadWeight"] = "0", ["Mentoring:ExplorationShare"] = "0",
            ["Notifications:LinkBaseUrl"] = "https://matching.test",
            ["Notifications:RetryBaseSeconds"] = "0.2", ["Notifications:MaxAttempts"] = "3",
        };
        App = new MatchingApp(Azurite.ConnectionString, settings, Clock);
        _ = App.Server;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Hooks.DisposeAsync();
        await Mail.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

/// <summary>
/// The product tells people what happens: mails through a real SMTP server, in the reader's language, with no
/// personal data of the other side before acceptance; signed CloudEvents to organisations' endpoints, retried and
/// disabled when dead; reminders before sessions; preferences and unsubscribe; the outbox's sweep.
/// </summary>
public sealed class NotificationTests(NotificationFixture fixture) : IClassFixture<NotificationFixture>
{
    private MatchingApp App => fixture.App;
    private Smtp4dev Mail => fixture.Mail;

    private static object Preferences(string language = "fr", string? email = null, object? quiet = null, string[]? channels = null) =>
        new { channels = channels ?? ["email"], language, timeZone = "Europe/Paris", quietHours = quiet, email };

    /// <summary>A learner (with an email contact) whose request has proposals; the NGO's staff member asked for mail.</summary>
    private async Task<(HttpClient Ngo, string Org, string LearnerId, string RequestId, string MentorId)> ProposedAsync(string mentorName, string language, string learnerEmail)
    {
        var org = NewOrg("ngo");
        var ngo = App.ClientFor(Role.Ngo, org, subject: $"staff-{mentorName}");
        (await ngo.PutAsJsonAsync("/api/me/notification-preferences", Preferences(email: $"staff-{mentorName.ToLowerInvariant()}@ngo.test"))).EnsureSuccessStatusCode();
        var learnerId = await LearnerAsync(ngo, LearnerProfile(language, contact: new { kind = "email", value = learnerEmail }), name: "Yusuf");
        var request = await MentoringScenario.ProposedAsync(ngo, learnerId);
        Assert.Equal("proposed", request.GetProperty("status").GetString());
        return (ngo, org, learnerId, request.GetProperty("id").GetString()!, request.GetProperty("proposals")[0].GetProperty("mentorId").GetString()!);
    }

    private static string Text(MimeMessage m) => m.TextBody ?? "";

    [Fact]
    public async Task Choosing_a_mentor_mails_them_in_French_without_the_learner_and_the_acceptance_reaches_the_learner_the_NGO_and_its_webhook()
    {
        var mentor = await MentorAsync(App, "Karim", "ky", ["cvReview"]);
        var (ngo, org, _, requestId, mentorId) = await ProposedAsync("Karim", "ky", "yusuf.ky@learners.test");
        var staffAddress = "staff-karim@ngo.test";
        var ready = await Mail.MessageToAsync(staffAddress, m => m.Headers["X-Matching-Event"] == "proposals.ready");
        Assert.Equal("Des mentors sont proposés pour Yusuf", ready.Subject); // staff read which of their learners it is

        var admin = App.ClientFor(Role.Admin, org);
        var hook = await Json(await admin.PostAsJsonAsync("/api/webhooks", new { url = fixture.Hooks.Url("karim"), events = new[] { "offer.accepted", "offer.awaiting" } }));
        fixture.Hooks.Secret("karim", hook.GetProperty("secret").GetString()!);

        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose", new { mentorId })).EnsureSuccessStatusCode();
        var offer = await Mail.MessageToAsync("karim@example.org", m => m.Headers["X-Matching-Event"] == "offer.awaiting");
        Assert.Equal("Une personne attend votre réponse", offer.Subject);
        Assert.Equal("fr", offer.Body!.Headers[HeaderId.ContentLanguage]);
        // The button opens the mentor's page (sign-in first when needed), not the API.
        Assert.Matches(@"https://matching\.test/m(\s|$)", Text(offer));
        Assert.Contains("href=\"https://matching.test/m\"", offer.HtmlBody);
        Assert.DoesNotContain("Yusuf", Text(offer) + offer.HtmlBody); // nothing of the learner before acceptance
        Assert.DoesNotContain("yusuf", Text(offer) + offer.HtmlBody);
        Assert.StartsWith("<https://matching.test/api/notifications/unsubscribe?token=", offer.Headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", offer.Headers["List-Unsubscribe-Post"]);

        (await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null)).EnsureSuccessStatusCode();
        var toLearner = await Mail.MessageToAsync("yusuf.ky@learners.test", m => m.Headers["X-Matching-Event"] == "offer.accepted");
        Assert.Equal("La mise en relation de mentorat est faite", toLearner.Subject);
        Assert.StartsWith("Bonjour Yusuf,", Text(toLearner));
        await Mail.MessageToAsync(staffAddress, m => m.Headers["X-Matching-Event"] == "offer.accepted");

        // The NGO's tool hears of the offer and of the acceptance: CloudEvents, signed, each once.
        var events = await Eventually.Until(() => Task.FromResult(fixture.Hooks.For("karim")), l => l.Count >= 2, Patience, "two webhook deliveries");
        Assert.All(events, e => Assert.True(e.SignatureValid, "the signature verifies with the endpoint's secret"));
        Assert.All(events, e => Assert.Equal("application/cloudevents+json; charset=utf-8", e.ContentType));
        var accepted = events.Select(e => JsonDocument.Parse(e.Body).RootElement).Single(e => e.GetProperty("type").GetString() == "org.matching.offer.accepted");
        Assert.Equal("1.0", accepted.GetProperty("specversion").GetString());
        Assert.Equal($"/organisations/{org}", accepted.GetProperty("source").GetString());
        Assert.Equal(requestId, accepted.GetProperty("data").GetProperty("requestId").GetString());
        Assert.Equal(events.Count, events.Select(e => e.WebhookId).Distinct().Count());

        // Every outbox row was dispatched and deleted.
        await Eventually.Until(async () => await OutboxRowsAsync(Mentoring.MentorRequests.Table, org), n => n == 0, Patience, "the outbox to empty");
    }

    [Fact]
    public async Task A_mentor_who_chose_English_is_written_to_in_English_and_after_unsubscribing_is_not_written_to()
    {
        var mentor = await MentorAsync(App, "Omar", "om", ["cvReview"]);
        (await mentor.PutAsJsonAsync("/api/me/notification-preferences", Preferences("en"))).EnsureSuccessStatusCode();
        var (ngo, _, _, requestId, mentorId) = await ProposedAsync("Omar", "om", "learner.om@learners.test");
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose", new { mentorId })).EnsureSuccessStatusCode();
        var offer = await Mail.MessageToAsync("omar@example.org");
        Assert.Equal("A mentee awaits your answer", offer.Subject);
        Assert.Contains("Hello Omar,", Text(offer));

        // The link in the mail: opening it changes nothing; its button (a one-click POST) stops the mails.
        var link = new Uri(offer.Headers["List-Unsubscribe"]!.Trim('<', '>'));
        var anonymous = App.CreateClient();
        var page = await anonymous.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("[\"email\"]", JsonSerializer.Serialize((await Json(await mentor.GetAsync("/api/me/notification-preferences"))).GetProperty("channels")));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsync(link.PathAndQuery[..^3] + "xyz", null)).StatusCode); // a forged token
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync(link.PathAndQuery, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))).StatusCode);
        Assert.Equal("[]", JsonSerializer.Serialize((await Json(await mentor.GetAsync("/api/me/notification-preferences"))).GetProperty("channels")));

        (await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "noTimeNow" })).EnsureSuccessStatusCode();
        var declined = await Mail.MessageToAsync("staff-omar@ngo.test", m => m.Headers["X-Matching-Event"] == "offer.declined");
        Assert.Contains("pas de temps en ce moment", Text(declined)); // the reason, in the staff member's language
        Assert.Equal("Un mentor a décliné la demande de Yusuf", declined.Subject);
        // No other mentor of that language: the mail says the request is assessed again (not that a next proposal went
        // out), and the staff then hear that there is no candidate, with what they can do.
        Assert.Contains("la demande est évaluée de nouveau", Text(declined));
        Assert.DoesNotContain("La proposition suivante a été envoyée", Text(declined));
        var none = await Mail.MessageToAsync("staff-omar@ngo.test", m => m.Headers["X-Matching-Event"] == "request.no-candidates");
        Assert.Equal("Aucun mentor disponible pour Yusuf pour l'instant", none.Subject);
        Assert.Contains("élargir ses disponibilités", Text(none));
        Assert.Contains($"https://matching.test/o/requests/{requestId}", Text(none)); // the page that shows why, for staff
        Assert.Single(await Mail.MessagesToAsync("omar@example.org"));
    }

    [Fact]
    public async Task A_confirmed_session_mails_both_sides_an_invitation_and_reminders_come_24_hours_and_1_hour_before_it_once_each()
    {
        var mentor = await MentorAsync(App, "Nadia", "nd", ["cvReview"]);
        var (ngo, _, _, requestId, mentorId) = await ProposedAsync("Nadia", "nd", "learner.nd@learners.test");
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose", new { mentorId })).EnsureSuccessStatusCode();
        (await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null)).EnsureSuccessStatusCode();
        var start = NextInParis(DayOfWeek.Monday, 18, 30, daysAhead: 7);
        var session = await Json(await ngo.PostAsJsonAsync($"/api/matches/{requestId}/sessions", new { start, durationMinutes = 60, mode = "phone" }));
        var sessionId = session.GetProperty("id").GetString()!;
        var proposed = await Mail.MessageToAsync("nadia@example.org", m => m.Headers["X-Matching-Event"] == "session.proposed");
        Assert.Equal("Une séance de mentorat est proposée", proposed.Subject);
        Assert.Contains("href=\"https://matching.test/m\"", proposed.HtmlBody); // to answer it, on his page
        (await mentor.PostAsJsonAsync($"/api/matches/{requestId}/sessions/{sessionId}/confirm", new { })).EnsureSuccessStatusCode();

        foreach (var address in new[] { "nadia@example.org", "learner.nd@learners.test" })
        {
            var confirmed = await Mail.MessageToAsync(address, m => m.Headers["X-Matching-Event"] == "session.confirmed");
            var ics = confirmed.Attachments.OfType<MimePart>().Single(a => a.ContentType.MimeType == "text/calendar");
            using var content = new MemoryStream();
            await ics.Content!.DecodeToAsync(content);
            var calendar = System.Text.Encoding.UTF8.GetString(content.ToArray());
            Assert.Contains("METHOD:REQUEST", calendar);
            Assert.Contains("SUMMARY:Séance de mentorat", calendar);
            Assert.Contains($"UID:{sessionId}@matching", calendar);
        }
        // The mentor's button opens the match's page; the learner's, their own page.
        Assert.Contains($"href=\"https://matching.test/m/matches/{requestId}\"", (await Mail.MessageToAsync("nadia@example.org", m => m.Headers["X-Matching-Event"] == "session.confirmed")).HtmlBody);
        Assert.Contains("href=\"https://matching.test/l\"", (await Mail.MessageToAsync("learner.nd@learners.test", m => m.Headers["X-Matching-Event"] == "session.confirmed")).HtmlBody);

        // A day before, then an hour before: one reminder each, however often the timer runs.
        fixture.Clock.SetUtcNow(start.AddHours(-24).AddMinutes(1));
        await App.RunTimerAsync("SendReminders");
        await App.RunTimerAsync("SendReminders");
        await Mail.MessageToAsync("learner.nd@learners.test", m => m.Headers["X-Matching-Event"] == "session.reminder");
        fixture.Clock.SetUtcNow(start.AddMinutes(-59));
        await App.RunTimerAsync("SendReminders");
        await Eventually.Until(async () => (await Mail.MessagesToAsync("nadia@example.org")).Count(m => m.Headers["X-Matching-Event"] == "session.reminder"),
            n => n == 2, Patience, "two reminders to the mentor");
        await App.RunTimerAsync("SendReminders");
        await Task.Delay(1500);
        Assert.Equal(2, (await Mail.MessagesToAsync("learner.nd@learners.test")).Count(m => m.Headers["X-Matching-Event"] == "session.reminder"));
    }

    private static async Task<string> CalendarOf(MimeMessage m)
    {
        var ics = m.Attachments.OfType<MimePart>().Single(a => a.ContentType.MimeType == "text/calendar");
        using var content = new MemoryStream();
        await ics.Content!.DecodeToAsync(content);
        return System.Text.Encoding.UTF8.GetString(content.ToArray()).Replace("\r\n ", ""); // unfolded
    }

    /// <summary>
    /// Issue 29, item 9: notices tell the truth and can be acted on. A learner with an email contact and no preferences
    /// hears, in French, of what their NGO's staff do for them; a move is a new time awaiting confirmation (said so, the
    /// .ics tentative, SEQUENCE up at each change); staff hear of sessions proposed, moved and cancelled, naming their
    /// learner; every .ics names its organiser and attendee.
    /// </summary>
    [Fact]
    public async Task Session_notices_say_what_waits_for_whom_and_each_invitation_names_organiser_and_attendee_with_the_sequence_raised()
    {
        var mentor = await MentorAsync(App, "Ilona", "ii", ["cvReview"]);
        var (ngo, org, _, requestId, mentorId) = await ProposedAsync("Ilona", "ii", "learner.ii@learners.test");
        var colleague = App.ClientFor(Role.Ngo, org, subject: "colleague-ii");
        (await colleague.PutAsJsonAsync("/api/me/notification-preferences", Preferences(email: "colleague-ii@ngo.test"))).EnsureSuccessStatusCode();
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose", new { mentorId })).EnsureSuccessStatusCode();
        (await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null)).EnsureSuccessStatusCode();
        var sessions = $"/api/matches/{requestId}/sessions";

        // Staff propose for the learner: the learner is told (in French, never having set preferences), the mentor too.
        var start = NextInParis(DayOfWeek.Monday, 18, 30, daysAhead: 7);
        var sessionId = (await Json(await ngo.PostAsJsonAsync(sessions, new { start, durationMinutes = 60, mode = "phone" }))).GetProperty("id").GetString()!;
        var toLearner = await Mail.MessageToAsync("learner.ii@learners.test", m => m.Headers["X-Matching-Event"] == "session.proposed");
        Assert.Equal("Une séance de mentorat est proposée", toLearner.Subject);
        Assert.StartsWith("Bonjour Yusuf,", Text(toLearner));
        await Mail.MessageToAsync("ilona@example.org", m => m.Headers["X-Matching-Event"] == "session.proposed");

        // The mentor confirms: both parties get the invitation, confirmed, SEQUENCE 1, organiser and attendee named.
        (await mentor.PostAsJsonAsync($"{sessions}/{sessionId}/confirm", new { })).EnsureSuccessStatusCode();
        var confirmed = await CalendarOf(await Mail.MessageToAsync("learner.ii@learners.test", m => m.Headers["X-Matching-Event"] == "session.confirmed"));
        Assert.Contains("METHOD:REQUEST", confirmed);
        Assert.Contains("STATUS:CONFIRMED", confirmed);
        Assert.Contains("SEQUENCE:1", confirmed);
        Assert.Matches("ORGANIZER;CN=[^:]+:mailto:", confirmed);
        Assert.Matches("ATTENDEE;[^\n]*:mailto:learner.ii@learners.test", confirmed);

        // The mentor moves it: the learner reads that the new time waits for their confirmation; the .ics is tentative.
        var later = start.AddDays(7);
        (await mentor.PostAsJsonAsync($"{sessions}/{sessionId}/move", new { start = later, durationMinutes = 60, mode = "phone" })).EnsureSuccessStatusCode();
        var moved = await Mail.MessageToAsync("learner.ii@learners.test", m => m.Headers["X-Matching-Event"] == "session.moved");
        Assert.Equal("Séance de mentorat déplacée : nouvelle heure à confirmer", moved.Subject);
        Assert.Contains("Elle n'est pas encore confirmée : confirmez-la, ou proposez un autre moment.", Text(moved));
        var movedIcs = await CalendarOf(moved);
        Assert.Contains("STATUS:TENTATIVE", movedIcs);
        Assert.Contains("SEQUENCE:2", movedIcs);
        Assert.Contains("PARTSTAT=NEEDS-ACTION", movedIcs);
        // Staff hear of it by their learner's first name; they are told, not invited.
        foreach (var staff in new[] { "staff-ilona@ngo.test", "colleague-ii@ngo.test" })
        {
            var told = await Mail.MessageToAsync(staff, m => m.Headers["X-Matching-Event"] == "session.moved");
            Assert.Equal("La séance de Yusuf est déplacée", told.Subject);
            Assert.Empty(told.Attachments);
        }
        // Staff who proposed the first time were not told of their own act; their colleague was not either (staff acted).
        Assert.DoesNotContain(await Mail.MessagesToAsync("colleague-ii@ngo.test"), m => m.Headers["X-Matching-Event"] == "session.proposed");

        // Confirmed again by the learner's side, then cancelled by the mentor: SEQUENCE 3, then a CANCEL at 4 with organiser and attendee.
        (await ngo.PostAsJsonAsync($"{sessions}/{sessionId}/confirm", new { })).EnsureSuccessStatusCode();
        var reconfirmed = await Eventually.Until(async () => (await Mail.MessagesToAsync("ilona@example.org")).Where(m => m.Headers["X-Matching-Event"] == "session.confirmed").ToList(),
            l => l.Count == 2, Patience, "the mentor's second confirmation");
        Assert.Contains(reconfirmed, m => CalendarOf(m).Result.Contains("SEQUENCE:3"));
        (await mentor.PostAsync($"{sessions}/{sessionId}/cancel", null)).EnsureSuccessStatusCode();
        var cancel = await CalendarOf(await Mail.MessageToAsync("learner.ii@learners.test", m => m.Headers["X-Matching-Event"] == "session.cancelled"));
        Assert.Contains("METHOD:CANCEL", cancel);
        Assert.Contains("SEQUENCE:4", cancel);
        Assert.Contains("ORGANIZER;", cancel);
        Assert.Contains("ATTENDEE;", cancel);
        var cancelled = await Mail.MessageToAsync("colleague-ii@ngo.test", m => m.Headers["X-Matching-Event"] == "session.cancelled");
        Assert.Equal("La séance de Yusuf est annulée", cancelled.Subject);
        Assert.Contains("Yusuf", Text(cancelled));
    }

    [Fact]
    public async Task Webhook_deliveries_are_retried_until_delivered_once_and_one_that_keeps_failing_is_listed_for_the_admins()
    {
        await MentorAsync(App, "Sami", "sm", ["cvReview"]);
        var org = NewOrg("ngo");
        var admin = App.ClientFor(Role.Admin, org);
        var flaky = await Json(await admin.PostAsJsonAsync("/api/webhooks", new { url = fixture.Hooks.Url("flaky"), events = new[] { "*" } }));
        var down = await Json(await admin.PostAsJsonAsync("/api/webhooks", new { url = fixture.Hooks.Url("down"), events = new[] { "proposals.ready" } }));
        fixture.Hooks.Secret("flaky", flaky.GetProperty("secret").GetString()!);
        fixture.Hooks.Secret("down", down.GetProperty("secret").GetString()!);
        fixture.Hooks.Answer("flaky", attempt => attempt <= 2 ? 503 : 200);
        fixture.Hooks.Answer("down", _ => 500);

        var ngo = App.ClientFor(Role.Ngo, org);
        var learnerId = await LearnerAsync(ngo, LearnerProfile("sm"));
        await MentoringScenario.ProposedAsync(ngo, learnerId);

        var flakyDeliveries = await Eventually.Until(() => Task.FromResult(fixture.Hooks.For("flaky")), l => l.Any(r => r.Answered == 200), Patience, "the flaky endpoint to take it");
        Assert.Equal(3, flakyDeliveries.Count); // two failures, then delivered, under one webhook-id
        Assert.Single(flakyDeliveries.Select(r => r.WebhookId).Distinct());
        Assert.All(flakyDeliveries, r => Assert.True(r.SignatureValid));

        var failures = await Eventually.Until(async () => await Json(await admin.GetAsync("/api/notifications/failures")), f => f.GetArrayLength() == 1, Patience, "the failure to be listed");
        Assert.Equal("proposals.ready", failures[0].GetProperty("event").GetString());
        Assert.Equal("webhook", failures[0].GetProperty("channel").GetString());
        Assert.Equal(3, failures[0].GetProperty("attempts").GetInt32());
        Assert.Equal("HTTP 500", failures[0].GetProperty("error").GetString());
        Assert.Equal(3, fixture.Hooks.For("down").Count);
        var endpoint = await Json(await admin.GetAsync($"/api/webhooks/{down.GetProperty("id").GetString()}"));
        Assert.Equal(3, endpoint.GetProperty("consecutiveFailures").GetInt32());
        Assert.False(endpoint.TryGetProperty("secret", out var secret) && secret.ValueKind == JsonValueKind.String, "the secret is shown only when made");

        // A rotation gives a new secret, shown once (the previous one keeps signing beside it for a day).
        var rotated = await Json(await admin.PostAsync($"/api/webhooks/{flaky.GetProperty("id").GetString()}/rotate-secret", null));
        Assert.NotEqual(flaky.GetProperty("secret").GetString(), rotated.GetProperty("secret").GetString());
    }

    [Fact]
    public async Task A_notice_committed_but_never_announced_is_found_and_sent_by_the_outbox_sweep()
    {
        var mentor = await MentorAsync(App, "Lina", "ln", ["cvReview"]);
        var (ngo, org, learnerId, requestId, mentorId) = await ProposedAsync("Lina", "ln", "learner.ln@learners.test");
        // As if the app stopped between the commit and the queue message: the row is there, nobody announced it.
        var notice = Notice.New(NoticeType.OfferAwaiting, org, fixture.Clock.GetUtcNow()) with { RequestId = requestId, MentorId = mentorId, LearnerId = learnerId };
        await App.Table(Mentoring.MentorRequests.Table).AddEntityAsync(Outbox.Row(org, notice));
        await Task.Delay(1000);
        Assert.DoesNotContain(await Mail.MessagesToAsync("lina@example.org"), m => m.Headers["X-Matching-Event"] == "offer.awaiting");
        // Lists and reports of the partition do not see it.
        Assert.Equal(HttpStatusCode.OK, (await ngo.GetAsync("/api/mentor-requests")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ngo.GetAsync("/api/reports/impact")).StatusCode);

        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        await App.RunTimerAsync("SweepOutbox");
        await Mail.MessageToAsync("lina@example.org", m => m.Headers["X-Matching-Event"] == "offer.awaiting");
        await Eventually.Until(async () => await OutboxRowsAsync(Mentoring.MentorRequests.Table, org), n => n == 0, Patience, "the outbox to empty");
        _ = mentor;
    }

    [Fact]
    public async Task Quiet_hours_hold_a_mail_back_and_bad_preferences_or_endpoints_are_400s_naming_the_field()
    {
        var mentor = await MentorAsync(App, "Ines", "ig", ["cvReview"]);
        var now = TimeZoneInfo.ConvertTime(fixture.Clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris"));
        var quiet = new { from = now.AddMinutes(-30).ToString("HH:mm"), to = now.AddHours(2).ToString("HH:mm") };
        (await mentor.PutAsJsonAsync("/api/me/notification-preferences", Preferences(quiet: quiet))).EnsureSuccessStatusCode();
        var (ngo, _, _, requestId, mentorId) = await ProposedAsync("Ines", "ig", "learner.ig@learners.test");
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose", new { mentorId })).EnsureSuccessStatusCode();
        await Task.Delay(3000);
        Assert.Empty(await Mail.MessagesToAsync("ines@example.org")); // held until 2 hours from now, in the queue

        var bad = await HttpPlatformTests.AssertProblem(await mentor.PutAsJsonAsync("/api/me/notification-preferences",
            new { channels = new[] { "email" }, language = "de", timeZone = "Mars/Olympus", quietHours = new { from = "25:00", to = "08:00" }, email = "x@y.z" }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        var errors = bad.GetProperty("errors");
        foreach (var field in new[] { "language", "timeZone", "quietHours.from", "email" }) Assert.True(errors.TryGetProperty(field, out _), field);

        var admin = App.ClientFor(Role.Admin, NewOrg("ngo"));
        var hook = await HttpPlatformTests.AssertProblem(await admin.PostAsJsonAsync("/api/webhooks", new { url = "ftp://example.org/x", events = new[] { "offer.sent" } }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(hook.GetProperty("errors").TryGetProperty("url", out _));
        Assert.True(hook.GetProperty("errors").TryGetProperty("events", out _));
        Assert.Equal(HttpStatusCode.Forbidden, (await ngo.PostAsJsonAsync("/api/webhooks", new { url = fixture.Hooks.Url("x"), events = new[] { "*" } })).StatusCode);
    }

    [Fact]
    public async Task A_claim_confirmed_then_one_waitlisted_then_promoted_tell_the_NGO_by_mail_and_the_provider_by_webhook_a_retried_claim_once()
    {
        var ngoOrg = NewOrg("ngo");
        var providerOrg = NewOrg("provider");
        var ngo = App.ClientFor(Role.Ngo, ngoOrg, subject: "claims-staff");
        (await ngo.PutAsJsonAsync("/api/me/notification-preferences", Preferences("en", email: "claims@ngo.test"))).EnsureSuccessStatusCode();
        var providerAdmin = App.ClientFor(Role.Admin, providerOrg);
        var hook = await Json(await providerAdmin.PostAsJsonAsync("/api/webhooks", new { url = fixture.Hooks.Url("provider"), events = new[] { "claim.confirmed", "claim.promoted" } }));
        fixture.Hooks.Secret("provider", hook.GetProperty("secret").GetString()!);
        var offerId = await OpenOfferAsync(App, providerOrg, Details(seats: 2));

        var first = await Json(await ClaimAsync(ngo, offerId, "first", new { seats = 2 }));
        Assert.Equal("confirmed", first.GetProperty("status").GetString());
        (await ClaimAsync(ngo, offerId, "first", new { seats = 2 })).EnsureSuccessStatusCode(); // a retry: the same claim, no second notice
        var second = await Json(await ClaimAsync(ngo, offerId, "second", new { seats = 1 }));
        Assert.Equal("waitlisted", second.GetProperty("status").GetString());
        var confirmed = await Mail.MessageToAsync("claims@ngo.test", m => m.Headers["X-Matching-Event"] == "claim.confirmed");
        Assert.Equal("Training seats confirmed", confirmed.Subject);
        Assert.Contains($"https://matching.test/o/claims/{offerId}/{first.GetProperty("id").GetString()}", Text(confirmed)); // the claim's page
        await Mail.MessageToAsync("claims@ngo.test", m => m.Headers["X-Matching-Event"] == "claim.waitlisted");

        (await ngo.PostAsync($"/api/offers/{offerId}/claims/{first.GetProperty("id").GetString()}/release", null)).EnsureSuccessStatusCode();
        await Mail.MessageToAsync("claims@ngo.test", m => m.Headers["X-Matching-Event"] == "claim.promoted");
        var events = await Eventually.Until(() => Task.FromResult(fixture.Hooks.For("provider")), l => l.Count >= 2, Patience, "the provider's two events");
        Assert.Equal(["org.matching.claim.confirmed", "org.matching.claim.promoted"],
            events.Select(e => JsonDocument.Parse(e.Body).RootElement.GetProperty("type").GetString()).Order());
        Assert.All(events, e => Assert.True(e.SignatureValid));
        await Task.Delay(1000);
        Assert.Single(await Mail.MessagesToAsync("claims@ngo.test"), m => m.Headers["X-Matching-Event"] == "claim.confirmed");

        // Issue 29, item 13: the webhook's lastDeliveredAt follows its deliveries (it lagged them by up to a minute), and a
        // released claim says what it gave back, not what it still holds; the provider's report counts those seats.
        var lastEvent = events.Max(e => e.Timestamp);
        await Eventually.Until(async () => await Json(await providerAdmin.GetAsync("/api/webhooks")),
            list => list.EnumerateArray().Single(h => h.GetProperty("id").GetString() == hook.GetProperty("id").GetString()).GetProperty("lastDeliveredAt") is
                { ValueKind: JsonValueKind.String } at && at.GetDateTimeOffset().ToUnixTimeSeconds() >= lastEvent, Patience, "lastDeliveredAt at the last delivery");
        var released = await Json(await ngo.GetAsync($"/api/offers/{offerId}/claims/{first.GetProperty("id").GetString()}"));
        Assert.Equal(("released", 0, 2), (released.GetProperty("status").GetString(), released.GetProperty("seatsAllocated").GetInt32(), released.GetProperty("seatsReleased").GetInt32()));
        var report = await Json(await App.ClientFor(Role.Provider, providerOrg).GetAsync("/api/reports/offers"));
        Assert.Equal(2, report.GetProperty("seatsReleased").GetInt32());
    }

    private async Task<int> OutboxRowsAsync(string table, string partition)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {Outbox.KeyPrefix}");
        var count = 0;
        await foreach (var _ in App.Table(table).QueryAsync<TableEntity>(filter)) count++;
        return count;
    }
}
