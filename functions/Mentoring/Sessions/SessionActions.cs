using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring.Sessions;

/// <summary>
/// What a party does to a session and its check-in, with every rule and answer in one place: the API's functions and the
/// pages call these with the caller the gate put on the request, and show the same problems (a page reads the title and
/// detail of the answer it gets here).
/// </summary>
public sealed class SessionActions(MatchAccess access, SessionBook book, VenueDirectory venues, Notifications.Mail.MailSettings mail, TimeProvider time)
{
    public static bool IsStaff(HttpContext http) => http.Caller().Role == Role.Ngo;

    /// <summary>The side that did not propose confirms; a mentor confirming a video session may give the link now.</summary>
    public Task<IResult> ConfirmAsync(HttpContext http, string matchId, string sessionId, string? videoLink, CancellationToken ct) =>
        ChangeAsync(http, matchId, sessionId, SessionChange.Confirm, async (match, row) =>
        {
            var link = videoLink ?? row.VideoLink;
            var proposal = new SessionProposal(row.Start, (int)(row.End - row.Start).TotalMinutes, row.Mode, link, row.VenueId);
            // Confirming re-checks the rules: availability, a venue's hours or a profile may have changed since.
            var v = await book.CheckAsync(match, match.Party, proposal, confirming: true, ct);
            return (v, null, link);
        }, ct);

    /// <summary>Proposes a session (201), or says why not: the match (404), its end (409), the rules (400).</summary>
    public async Task<IResult> ProposeAsync(HttpContext http, string matchId, SessionProposal proposal, CancellationToken ct)
    {
        if (await access.FindAsync(http, matchId, ct) is not { } match) return Problems.NotFound("The match");
        if (match.Match.Status != RequestStatus.Matched)
            return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The match has ended", "Sessions are planned for an active match only.");
        var v = await book.CheckAsync(match, match.Party, proposal, confirming: false, ct);
        if (!v.IsValid) return v.ToResult();
        var row = await book.ProposeAsync(match, match.Party, proposal, ct);
        return Results.Created($"/api/matches/{matchId}/sessions/{row.SessionId}", SessionsApi.ToView(row, IsStaff(http)));
    }

    /// <summary>Registered venues open for the whole session and within both sides' travel radius, nearest first; null when the match is not the caller's.</summary>
    public async Task<IReadOnlyList<VenueSuggestion>?> SuggestVenuesAsync(HttpContext http, string matchId, DateTimeOffset start, int minutes, CancellationToken ct)
    {
        if (await access.FindAsync(http, matchId, ct) is not { } match) return null;
        if (await book.PartiesAsync(match, ct) is not { } parties || parties.Learner.Place is not { } lp || parties.Mentor.Profile.Home is not { } mp) return [];
        return VenueDirectory.Suitable(await venues.AllAsync(ct), lp, parties.Learner.TravelRadiusKm, mp, parties.Mentor.Profile.TravelRadiusKm,
            start, start.AddMinutes(minutes)).ToList();
    }

    public Task<IResult> MoveAsync(HttpContext http, string matchId, string sessionId, SessionProposal proposal, CancellationToken ct) =>
        ChangeAsync(http, matchId, sessionId, SessionChange.Counter, async (match, _) =>
            (await book.CheckAsync(match, match.Party, proposal, confirming: false, ct), proposal, null), ct);

    /// <summary>A change that carries nothing: decline or cancel.</summary>
    public Task<IResult> ChangeAsync(HttpContext http, string matchId, string sessionId, SessionChange change, CancellationToken ct) =>
        ChangeAsync(http, matchId, sessionId, change, (_, _) => Task.FromResult((new Validation(), (SessionProposal?)null, (string?)null)), ct);

    private Task<IResult> ChangeAsync(HttpContext http, string matchId, string sessionId, SessionChange change,
        Func<MatchParty, SessionRow, Task<(Validation Rules, SessionProposal? Proposal, string? VideoLink)>> check, CancellationToken ct) =>
        Contention.RetryAsync(async () =>
        {
            if (await access.FindAsync(http, matchId, ct) is not { } match) return Problems.NotFound("The match");
            if (await book.FindAsync(match, sessionId, ct) is not { } row) return Problems.NotFound("The session");
            if (change != SessionChange.Cancel && match.Match.Status != RequestStatus.Matched)
                return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The match has ended", "Only a cancellation is possible now.");
            // Refused before the rules are checked: a change that cannot happen is a 409, whatever its body.
            if (SessionBook.Refusal(row, change, match.Party) is { } refused) return SessionsApi.Refused(refused);
            var (rules, proposal, link) = await check(match, row);
            if (!rules.IsValid) return rules.ToResult();
            // A session changed meanwhile is a lost race: read again.
            try { return Results.Ok(SessionsApi.ToView(await book.ChangeAsync(match, row, change, match.Party, proposal, link, ct), IsStaff(http))); }
            catch (SessionChangeRefusedException e) { return SessionsApi.Refused(e); }
        }, ct, maxAttempts: 5,
            whenExhausted: () => Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The session kept changing", "Read it again and retry."));

    /// <summary>The confirmed (or cancelled) session as an iCalendar invitation, in the caller's side's time zone.</summary>
    public async Task<IResult> InvitationAsync(HttpContext http, string matchId, string sessionId, CancellationToken ct)
    {
        if (await access.FindAsync(http, matchId, ct) is not { } match) return Problems.NotFound("The match");
        if (await book.FindAsync(match, sessionId, ct) is not { } row) return Problems.NotFound("The session");
        if (row.Status is not (SessionStatus.Confirmed or SessionStatus.Cancelled))
            return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The session is not confirmed", "An invitation exists once the session is confirmed.");
        if (await book.PartiesAsync(match, ct) is not { } parties) return Problems.NotFound("The match");
        var zone = match.Party == Party.Mentor ? parties.Mentor.Profile.Availability.TimeZone : parties.Learner.Availability.TimeZone;
        var from = mail.Sender();
        var people = match.Party == Party.Mentor
            ? new SessionInvite.People(from.Address, from.Name ?? "Matching", "mailto:" + parties.Mentor.ContactEmail, parties.Mentor.DisplayName)
            : new SessionInvite.People(from.Address, from.Name ?? "Matching",
                parties.Learner.Contact is { } contact ? SessionInvite.CalendarAddress(contact) : $"urn:matching:learner:{match.LearnerId}", null);
        var ics = SessionInvite.Build(row, zone, time.GetUtcNow(), people, row.VenueId is { } venueId ? await venues.FindAsync(venueId, ct) : null);
        return Results.Text(ics, SessionInvite.ContentType + "; charset=utf-8");
    }

    /// <summary>The caller's pending check-ins: a mentor's own, a learner's own, or all of the NGO's learners'.</summary>
    public async Task<IReadOnlyList<CheckInRow>> PendingCheckInsAsync(HttpContext http, CancellationToken ct)
    {
        var (partition, learnerId) = CheckInScope(http);
        return await book.PendingCheckInsAsync(partition, learnerId, ct);
    }

    /// <summary>Answers a check-in (204), or says why not: the answer's fields (400), not the caller's (404), answered otherwise (409).</summary>
    public async Task<IResult> AnswerCheckInAsync(HttpContext http, string sessionId, CheckInAnswer answer, CancellationToken ct)
    {
        var v = new Validation()
            .Require(Enum.IsDefined(answer.Attendance), "attendance", "held, noShow or moved.")
            .Require(answer.Rating is null or >= 1 and <= 5, "rating", "1 to 5.")
            .Require(answer.Rating is null || answer.Attendance == Attendance.Held, "rating", "Only a session that was held is rated.")
            .Require(answer.Comment is null || answer.Comment.Length <= SessionsApi.CommentMaxLength, "comment", Texts.Format("At most {0} characters.", SessionsApi.CommentMaxLength));
        if (!v.IsValid) return v.ToResult();
        var (partition, learnerId) = CheckInScope(http);
        var checkIn = await book.CheckInAsync(partition, sessionId, ct);
        if (checkIn is null || learnerId is not null && checkIn.LearnerId != learnerId) return Problems.NotFound("The check-in");
        try { await book.AnswerAsync(checkIn, answer, ct); }
        catch (CheckInAnsweredException answered)
        {
            var problem = new ProblemDetails { Status = 409, Type = ProblemTypes.Conflict, Title = "The check-in was already answered", Detail = answered.Message };
            problem.Extensions["recorded"] = new { attendance = RequestLifecycle.Code(answered.Recorded.Attendance), rating = answered.Recorded.Rating };
            return TypedResults.Problem(problem);
        }
        return Results.NoContent();
    }

    /// <summary>A mentor's own check-ins; the NGO's for all its learners (a learner only sees their own).</summary>
    private static (string Partition, string? LearnerId) CheckInScope(HttpContext http)
    {
        var caller = http.Caller();
        return caller.Role == Role.Mentor
            ? (SessionBook.CheckInPartition(Party.Mentor, caller.OrganisationId, MentorsApi.MyId(http)), null)
            : (SessionBook.CheckInPartition(Party.Learner, caller.OrganisationId, ""), caller.Role == Role.Learner ? caller.SubjectId : null);
    }
}
