using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring.Sessions;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Sessions of a match: proposed inside both weekly availabilities (each side in its own zone), confirmed, moved,
/// cancelled, with their .ics invitations; venues for in-person sessions; check-ins once a session has ended.
/// Its own Azurite and app, whose clock the test moves past a session's end.
/// </summary>
public sealed class MentoringSessionTests() : OwnStorageTests(fakeClock: true)
{
    private const string Language = "ts";

    /// <summary>A Monday at a Paris wall-clock time, at least <paramref name="weeksAhead"/> weeks ahead.</summary>
    private static DateTimeOffset NextMonday(int hour, int minute, int weeksAhead = 1) => NextInParis(DayOfWeek.Monday, hour, minute, 7 * weeksAhead);

    private static readonly object ParisHome = new { latitude = 48.8566, longitude = 2.3522, inseeCode = "75056" };

    /// <summary>A mentor in Paris and a learner whose availability is in Dakar time, matched.</summary>
    private async Task<(HttpClient Mentor, HttpClient Ngo, string MatchId)> MatchAsync()
    {
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        (await mentor.PutAsJsonAsync("/api/mentors/me", new
        {
            displayName = "Nadia", contactEmail = "nadia@example.org",
            languages = new object[] { new { language = Language, level = "native" } }, expertise = new[] { "cvReview" },
            modes = new[] { "video", "phone", "inPerson" }, home = ParisHome, travelRadiusKm = 10,
            availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "18:00:00", end = "20:00:00" } } },
            capacity = 3,
        })).EnsureSuccessStatusCode();
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var learner = await LearnerAsync(ngo, new
        {
            languages = new object[] { new { language = Language, level = "b2" } },
            // 17:00-20:00 in Dakar (UTC all year) is 18:00-21:00 in Paris in winter, 19:00-22:00 in summer.
            availability = new { timeZone = "Africa/Dakar", slots = new[] { new { day = "monday", start = "17:00:00", end = "20:00:00" } } },
            modes = new[] { "video", "inPerson" }, place = new { latitude = 48.86, longitude = 2.34 }, travelRadiusKm = 5,
        });
        var request = await ProposedAsync(ngo, learner);
        var mentorId = request.GetProperty("proposals")[0].GetProperty("mentorId").GetString()!;
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{request.GetProperty("id").GetString()}/choose", new { mentorId })).EnsureSuccessStatusCode();
        (await mentor.PostAsync($"/api/mentors/me/offers/{request.GetProperty("id").GetString()}/accept", null)).EnsureSuccessStatusCode();
        return (mentor, ngo, request.GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task A_session_inside_both_availabilities_is_confirmed_moved_and_cancelled_with_one_invitation_whose_sequence_rises()
    {
        var (mentor, ngo, matchId) = await MatchAsync();
        var sessions = $"/api/matches/{matchId}/sessions";

        // Outside the mentor's hours (20:30 Paris), a mode the learner does not use, the past: each named.
        var late = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync(sessions, new { start = NextMonday(20, 30), durationMinutes = 60, mode = "video" }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.Contains("mentor", late.GetProperty("errors").GetProperty("start")[0].GetString());
        var phone = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync(sessions, new { start = NextMonday(18, 30), durationMinutes = 60, mode = "phone" }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(phone.GetProperty("errors").TryGetProperty("mode", out _));
        await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync(sessions, new { start = DateTimeOffset.UtcNow.AddDays(-1), durationMinutes = 60, mode = "video" }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        // At the calendar's edge: a 400 naming the field, not a 500 from adding the duration.
        Assert.True((await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync(sessions, new { start = "9999-12-31T23:59:59+00:00", durationMinutes = 60, mode = "video" }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors").TryGetProperty("start", out _));

        // The NGO proposes video for the learner; the mentor must give the link to confirm; the proposer cannot confirm.
        var proposed = await ngo.PostAsJsonAsync(sessions, new { start = NextMonday(18, 30), durationMinutes = 60, mode = "video" });
        Assert.Equal(HttpStatusCode.Created, proposed.StatusCode);
        var session = await Read<SessionsApi.SessionView>(proposed);
        var sessionId = session.Id;
        await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync($"{sessions}/{sessionId}/confirm", new { }), HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        var noLink = await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"{sessions}/{sessionId}/confirm", new { }), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(noLink.GetProperty("errors").TryGetProperty("videoLink", out _));
        await HttpPlatformTests.AssertProblem(await ngo.GetAsync($"{sessions}/{sessionId}/invite"), HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        var confirmed = await Read<SessionsApi.SessionView>(await mentor.PostAsJsonAsync($"{sessions}/{sessionId}/confirm", new { videoLink = "https://meet.example.org/nadia" }));
        Assert.Equal(SessionStatus.Confirmed, confirmed.Status);

        // Each side's invitation is in its own zone, for the same instant and UID.
        var forMentor = await mentor.GetAsync($"{sessions}/{sessionId}/invite");
        Assert.Equal("text/calendar", forMentor.Content.Headers.ContentType?.MediaType);
        var mentorIcs = await forMentor.Content.ReadAsStringAsync();
        var learnerIcs = await (await ngo.GetAsync($"{sessions}/{sessionId}/invite")).Content.ReadAsStringAsync();
        var start = NextMonday(18, 30);
        Assert.Contains($"DTSTART;TZID=Europe/Paris:{start:yyyyMMdd}T183000", mentorIcs);
        Assert.Contains($"DTSTART;TZID=Africa/Dakar:{start.UtcDateTime:yyyyMMdd'T'HHmm}00", learnerIcs);
        Assert.Contains("METHOD:REQUEST", mentorIcs);
        Assert.Contains($"UID:{sessionId}@matching", mentorIcs);
        Assert.Contains($"UID:{sessionId}@matching", learnerIcs);
        Assert.Contains("SEQUENCE:1", mentorIcs); // proposed (0), then confirmed: a change calendars must take
        Assert.Contains("STATUS:CONFIRMED", mentorIcs);
        Assert.Contains("BEGIN:VTIMEZONE", mentorIcs);
        // RFC 5546: a REQUEST names its organiser (the service's mailbox) and the attendee it is for (the caller's side).
        Assert.Matches("ORGANIZER;CN=[^:]+:mailto:", mentorIcs);
        Assert.Contains("mailto:nadia@example.org", mentorIcs.Replace("\r\n ", ""));
        Assert.Contains("ATTENDEE;", learnerIcs);

        // The mentor moves it a week later: proposed again, by the mentor, its sequence raised; the learner's side confirms.
        var moved = await Read<SessionsApi.SessionView>(await mentor.PostAsJsonAsync($"{sessions}/{sessionId}/move",
            new { start = NextMonday(18, 30, weeksAhead: 2), durationMinutes = 60, mode = "video", videoLink = "https://meet.example.org/nadia" }));
        Assert.Equal((SessionStatus.Proposed, "mentor", 2), (moved.Status, moved.ProposedBy, moved.Sequence));
        Assert.Equal(SessionStatus.Confirmed, (await Read<SessionsApi.SessionView>(await ngo.PostAsJsonAsync($"{sessions}/{sessionId}/confirm", new { }))).Status);
        Assert.Contains("SEQUENCE:3", await (await mentor.GetAsync($"{sessions}/{sessionId}/invite")).Content.ReadAsStringAsync());

        // Cancelled: the same UID as a cancellation, its sequence raised again; nothing more can change it.
        Assert.Equal(SessionStatus.Cancelled, (await Read<SessionsApi.SessionView>(await ngo.PostAsync($"{sessions}/{sessionId}/cancel", null))).Status);
        var cancelIcs = await (await mentor.GetAsync($"{sessions}/{sessionId}/invite")).Content.ReadAsStringAsync();
        Assert.Contains("METHOD:CANCEL", cancelIcs);
        Assert.Contains("STATUS:CANCELLED", cancelIcs);
        Assert.Contains($"UID:{sessionId}@matching", cancelIcs);
        Assert.Contains("SEQUENCE:4", cancelIcs);
        Assert.Contains("ORGANIZER;", cancelIcs); // RFC 5546 CANCEL: organiser and attendee too
        Assert.Contains("ATTENDEE;", cancelIcs);
        Assert.Equal("cancelled", (await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"{sessions}/{sessionId}/confirm", new { }),
            HttpStatusCode.Conflict, "urn:matching:problem:conflict")).GetProperty("currentStatus").GetString());

        // Nobody outside the match sees its sessions.
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Ngo, NewOrg("ngo")).GetAsync(sessions), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Mentor, "volunteers", subject: "someone-else").GetAsync(sessions), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
    }

    [Fact]
    public async Task In_person_sessions_are_at_an_open_venue_within_both_travel_radii_and_check_ins_follow_the_session()
    {
        var (mentor, ngo, matchId) = await MatchAsync();
        var admin = App.ClientFor(Role.Admin, "platform");
        object Hours(string open, string close) => new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = open, end = close } } };
        var near = await Json(await ngo.PostAsJsonAsync("/api/venues", new { name = "La Ruche Paris", address = "24 rue de l'Est, 75020 Paris", inseeCode = "75111", latitude = 48.857, longitude = 2.347, openingHours = Hours("09:00:00", "21:00:00"), stepFreeAccess = true }));
        var closed = await Json(await admin.PostAsJsonAsync("/api/venues", new { name = "Morning Café", inseeCode = "75111", latitude = 48.858, longitude = 2.346, openingHours = Hours("07:00:00", "12:00:00"), stepFreeAccess = false }));
        var far = await Json(await admin.PostAsJsonAsync("/api/venues", new { name = "Tiers-lieu Lyon", inseeCode = "69123", latitude = 45.764, longitude = 4.8357, openingHours = Hours("09:00:00", "21:00:00"), stepFreeAccess = true }));
        var badVenue = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/venues", new { name = "", inseeCode = "7", latitude = 91, longitude = 0, openingHours = Hours("09:00:00", "08:00:00"), stepFreeAccess = true }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        foreach (var field in new[] { "name", "inseeCode", "latitude", "openingHours.slots[0]" }) Assert.True(badVenue.GetProperty("errors").TryGetProperty(field, out _), field);
        await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync("/api/venues", new { }), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");

        var start = NextMonday(18, 30);
        // The query's time follows the bodies' rule: an offset, and a year the calendar can add an hour to.
        foreach (var text in new[] { start.ToString("yyyy-MM-ddTHH:mm:ss"), "9999-12-31T23:59:59+00:00" })
            Assert.True((await HttpPlatformTests.AssertProblem(await ngo.GetAsync($"/api/matches/{matchId}/venues?start={Uri.EscapeDataString(text)}&durationMinutes=60"),
                HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors").TryGetProperty("start", out _), text);
        var suggested = await Json(await ngo.GetAsync($"/api/matches/{matchId}/venues?start={Uri.EscapeDataString(start.ToString("O"))}&durationMinutes=60"));
        Assert.Equal(near.GetProperty("id").GetString(), Assert.Single(suggested.EnumerateArray()).GetProperty("venue").GetProperty("id").GetString());
        foreach (var (venue, why) in new[] { (closed, "not open"), (far, "travel radius") })
        {
            var refused = await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/matches/{matchId}/sessions",
                new { start, durationMinutes = 60, mode = "inPerson", venueId = venue.GetProperty("id").GetString() }), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
            Assert.Contains(why, refused.GetProperty("errors").GetProperty("venueId")[0].GetString());
        }

        // A field that does not apply to the mode is refused, not dropped.
        var linkInPerson = await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/matches/{matchId}/sessions",
            new { start, durationMinutes = 60, mode = "inPerson", venueId = near.GetProperty("id").GetString(), videoLink = "https://meet.example.org/x" }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(linkInPerson.GetProperty("errors").TryGetProperty("videoLink", out _));
        var venueOnVideo = await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/matches/{matchId}/sessions",
            new { start, durationMinutes = 60, mode = "video", venueId = near.GetProperty("id").GetString(), videoLink = "https://meet.example.org/x" }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(venueOnVideo.GetProperty("errors").TryGetProperty("venueId", out _));
        var session = await Json(await mentor.PostAsJsonAsync($"/api/matches/{matchId}/sessions",
            new { start, durationMinutes = 60, mode = "inPerson", venueId = near.GetProperty("id").GetString() }));
        var sessionId = session.GetProperty("id").GetString()!;
        Assert.Equal("La Ruche Paris", session.GetProperty("venueName").GetString());
        (await ngo.PostAsJsonAsync($"/api/matches/{matchId}/sessions/{sessionId}/confirm", new { })).EnsureSuccessStatusCode();
        // The invitation says where: the venue's name and street address, and its coordinates (issue 29, item 9).
        var inPerson = await (await ngo.GetAsync($"/api/matches/{matchId}/sessions/{sessionId}/invite")).Content.ReadAsStringAsync();
        Assert.Contains("LOCATION:La Ruche Paris\\, 24 rue de l'Est\\, 75020 Paris", inPerson);
        Assert.Contains("GEO:48.857000;2.347000", inPerson);

        // Before the end nothing is asked; after it, both sides have a check-in (and running the timer again adds none).
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        Assert.Empty((await Json(await mentor.GetAsync("/api/check-ins"))).EnumerateArray());
        Clock.SetUtcNow(start.AddMinutes(61));
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        Assert.Equal(sessionId, Assert.Single(await Read<List<SessionsApi.PendingCheckInView>>(await mentor.GetAsync("/api/check-ins"))).SessionId);
        Assert.Equal(sessionId, Assert.Single(await Read<List<SessionsApi.PendingCheckInView>>(await ngo.GetAsync("/api/check-ins"))).SessionId);

        var bad = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = "noShow", rating = 6 }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(bad.GetProperty("errors").TryGetProperty("rating", out _));
        Assert.Equal(HttpStatusCode.NoContent, (await mentor.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = "held" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ngo.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = "held", rating = 4, comment = "Very helpful" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ngo.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = "held", rating = 4, comment = "Very helpful" })).StatusCode); // a retry
        // A different second answer is refused with the one recorded, not dropped with a 204; numbers are not names.
        var other = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = "held", rating = 1 }),
            HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        Assert.Equal(("held", 4), (other.GetProperty("recorded").GetProperty("attendance").GetString(), other.GetProperty("recorded").GetProperty("rating").GetInt32()));
        await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = "noShow" }), HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        Assert.True((await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = 0 }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors").TryGetProperty("attendance", out _));
        Assert.Empty((await Json(await mentor.GetAsync("/api/check-ins"))).EnumerateArray());

        // The mentor's track record counts the session once and the learner's rating; the comment is the NGO's to read.
        var record = (await MentorProfileAsync(mentor)).GetProperty("record");
        Assert.Equal((1, 1, 1, 4.0), (record.GetProperty("proposals").GetInt32(), record.GetProperty("accepted").GetInt32(),
            record.GetProperty("sessionsHeld").GetInt32(), record.GetProperty("averageRating").GetDouble()));
        var forNgo = Assert.Single((await Json(await ngo.GetAsync($"/api/matches/{matchId}/sessions"))).EnumerateArray());
        Assert.Equal(("Very helpful", 4), (forNgo.GetProperty("learner").GetProperty("comment").GetString(), forNgo.GetProperty("learner").GetProperty("rating").GetInt32()));
        Assert.DoesNotContain("Very helpful", (await Json(await mentor.GetAsync($"/api/matches/{matchId}/sessions"))).GetRawText());

        // The NGO's impact report counts it: one match, one session held for an hour, one rating of 4 (JSON and CSV).
        var impact = await Json(await ngo.GetAsync("/api/reports/impact"));
        Assert.Equal((1, 1, 1, 1.0, 1), (impact.GetProperty("requests").GetInt32(), impact.GetProperty("matches").GetInt32(), impact.GetProperty("sessionsHeld").GetInt32(),
            impact.GetProperty("hoursHeld").GetDouble(), impact.GetProperty("ratings").GetProperty("4").GetInt32()));
        Assert.Equal(0.0, impact.GetProperty("noShowRate").GetDouble());
        var csv = await ngo.GetAsync("/api/reports/impact?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"Sessions held\",\"1\"", await csv.Content.ReadAsStringAsync());
        await HttpPlatformTests.AssertProblem(await mentor.GetAsync("/api/reports/impact"), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
    }

    [Fact]
    public async Task The_NGO_follow_up_list_raises_each_alert_once_and_staff_acknowledge_them()
    {
        var (mentor, ngo, matchId) = await MatchAsync();
        var unanswered = await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(Language)));
        var sessions = $"/api/matches/{matchId}/sessions";

        // Four days on, nobody has chosen among that request's proposals.
        Clock.SetUtcNow(DateTimeOffset.UtcNow.AddDays(4));
        await App.RunTimerAsync("RaiseFollowUpAlerts");
        Assert.Equal("unanswered", Assert.Single((await Json(await ngo.GetAsync("/api/follow-up/alerts"))).EnumerateArray()).GetProperty("kind").GetString());

        // Two sessions, both no-shows, the second rated 2: three alerts from check-ins.
        var times = new[] { NextMonday(18, 30), NextMonday(18, 30, weeksAhead: 2) };
        foreach (var start in times)
        {
            var session = await Json(await mentor.PostAsJsonAsync(sessions, new { start, durationMinutes = 60, mode = "video", videoLink = "https://meet.example.org/n" }));
            (await ngo.PostAsJsonAsync($"{sessions}/{session.GetProperty("id").GetString()}/confirm", new { })).EnsureSuccessStatusCode();
        }
        Clock.SetUtcNow(times[1].AddHours(2));
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        var checkIns = (await Json(await mentor.GetAsync("/api/check-ins"))).EnumerateArray().OrderBy(c => c.GetProperty("start").GetDateTimeOffset()).ToList();
        Assert.Equal(2, checkIns.Count);
        (await mentor.PostAsJsonAsync($"/api/check-ins/{checkIns[0].GetProperty("sessionId").GetString()}", new { attendance = "noShow" })).EnsureSuccessStatusCode();
        Assert.Single((await Json(await ngo.GetAsync("/api/follow-up/alerts"))).EnumerateArray()); // one no-show is not yet a pattern
        (await mentor.PostAsJsonAsync($"/api/check-ins/{checkIns[1].GetProperty("sessionId").GetString()}", new { attendance = "noShow" })).EnsureSuccessStatusCode();
        var secondSession = checkIns[1].GetProperty("sessionId").GetString();
        (await ngo.PostAsJsonAsync($"/api/check-ins/{checkIns[0].GetProperty("sessionId").GetString()}", new { attendance = "held", rating = 2 })).EnsureSuccessStatusCode();

        // Weeks pass with no session.
        Clock.SetUtcNow(times[1].AddDays(22));
        await App.RunTimerAsync("RaiseFollowUpAlerts");
        await App.RunTimerAsync("RaiseFollowUpAlerts"); // once only
        var alerts = (await Json(await ngo.GetAsync("/api/follow-up/alerts"))).EnumerateArray().ToList();
        Assert.Equal(["lowRating", "noSession", "noShows", "unanswered"], alerts.Select(a => a.GetProperty("kind").GetString()!).Order().ToArray());
        Assert.Equal(unanswered.GetProperty("id").GetString(), alerts.Single(a => a.GetProperty("kind").GetString() == "unanswered").GetProperty("requestId").GetString());
        Assert.Equal(secondSession, alerts.Single(a => a.GetProperty("kind").GetString() == "noShows").GetProperty("sessionId").GetString());

        var noSession = alerts.Single(a => a.GetProperty("kind").GetString() == "noSession").GetProperty("id").GetString();
        Assert.True((await Json(await ngo.PostAsync($"/api/follow-up/alerts/{noSession}/acknowledge", null))).GetProperty("acknowledged").GetBoolean());
        Assert.Equal(3, (await Json(await ngo.GetAsync("/api/follow-up/alerts?acknowledged=false"))).GetArrayLength());
        await HttpPlatformTests.AssertProblem(await ngo.GetAsync("/api/follow-up/alerts?acknowledged=maybe"), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.Empty((await Json(await App.ClientFor(Role.Ngo, NewOrg("ngo")).GetAsync("/api/follow-up/alerts"))).EnumerateArray());
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Ngo, NewOrg("ngo")).PostAsync($"/api/follow-up/alerts/{noSession}/acknowledge", null),
            HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        await HttpPlatformTests.AssertProblem(await mentor.GetAsync("/api/follow-up/alerts"), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
    }

    /// <summary>
    /// Issue 29, item 2: invariants of the same kind as one match per accepted offer, each held by a storage condition
    /// and tried with 24 conflicting requests at once: one check-in answer per session and side (half say held, half
    /// say no-show: one kind lands, the session is counted held at most once), and one active request per learner.
    /// </summary>
    [Fact]
    public async Task Conflicting_check_ins_and_requests_at_once_leave_one_answer_per_side_and_one_active_request_per_learner()
    {
        var (mentor, ngo, matchId) = await MatchAsync();
        var start = NextMonday(18, 30, weeksAhead: 3);
        var sessionId = (await Json(await ngo.PostAsJsonAsync($"/api/matches/{matchId}/sessions", new { start, durationMinutes = 60, mode = "video" })))
            .GetProperty("id").GetString()!;
        (await mentor.PostAsJsonAsync($"/api/matches/{matchId}/sessions/{sessionId}/confirm", new { videoLink = "https://meet.example.org/x" })).EnsureSuccessStatusCode();
        Clock.SetUtcNow(start.AddMinutes(61));
        await App.RunTimerAsync("ExpireMentoringDeadlines");

        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            mentor.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = i % 2 == 0 ? "held" : "noShow" })));
        var landed = answers.Count(a => a.StatusCode == HttpStatusCode.NoContent);
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.Conflict, a.StatusCode.ToString()));
        Assert.Equal(12, landed); // every answer like the one recorded is a retry of it; every other one is refused
        var session = Assert.Single((await Json(await mentor.GetAsync($"/api/matches/{matchId}/sessions"))).EnumerateArray());
        var kind = session.GetProperty("mentor").GetProperty("attendance").GetString();
        Assert.Contains(kind, new[] { "held", "noShow" });
        Assert.Equal(HttpStatusCode.NoContent, (await mentor.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = kind })).StatusCode);
        await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/check-ins/{sessionId}", new { attendance = kind == "held" ? "noShow" : "held" }),
            HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        Assert.Equal(kind == "held" ? 1 : 0, (await MentorProfileAsync(mentor)).GetProperty("record").GetProperty("sessionsHeld").GetInt32());

        // One active request per learner: 24 asks at once for a learner with none, one is taken.
        var learner = await LearnerAsync(ngo, LearnerProfile(Language));
        var asks = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" } })));
        Assert.Single(asks, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.All(asks.Where(a => a.StatusCode != HttpStatusCode.Accepted), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        var theirs = await Json(await ngo.GetAsync($"/api/mentor-requests?learnerId={learner}"));
        Assert.Single(theirs.GetProperty("items").EnumerateArray());
    }
}
