using Azure.Data.Tables;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring.Sessions;

public static class SessionsApi
{
    public sealed record SessionConfirmRequest(string? VideoLink = null);

    public sealed record CheckInView(Attendance? Attendance, int? Rating, string? Comment);

    public sealed record SessionView(string Id, string MatchId, SessionStatus Status, string ProposedBy, DateTimeOffset Start, DateTimeOffset End,
        SessionMode Mode, string? VideoLink, string? VenueId, string? VenueName, int Sequence, CheckInView? Mentor, CheckInView? Learner);

    public sealed record PendingCheckInView(string SessionId, string MatchId, string Party, DateTimeOffset Start, DateTimeOffset End);

    public const int CommentMaxLength = 1000;

    /// <summary>Check-in comments are shown to the learner's NGO staff only.</summary>
    public static SessionView ToView(SessionRow e, bool forStaff)
    {
        CheckInView? Side(Party p) => e.AttendanceOf(p) is { } a ? new CheckInView(a, e.RatingOf(p), forStaff ? e.CommentOf(p) : null) : null;
        return new SessionView(e.SessionId, e.MatchId, e.Status, RequestLifecycle.Code(e.ProposedBy),
            e.Start, e.End, e.Mode, e.VideoLink, e.VenueId, e.VenueName, e.Sequence, Side(Party.Mentor), Side(Party.Learner));
    }

    public static IResult Refused(SessionChangeRefusedException e)
    {
        var problem = new ProblemDetails { Status = 409, Type = ProblemTypes.Conflict, Title = "The session cannot change that way", Detail = e.Message };
        problem.Extensions["currentStatus"] = RequestLifecycle.Code(e.Current);
        return TypedResults.Problem(problem);
    }
}

/// <summary>Sessions of a match: either side proposes, the other confirms, declines or counter-proposes; .ics invitations.</summary>
[Tags("Mentoring"), RequireRoles(Role.Ngo, Role.Learner, Role.Mentor)]
public sealed class SessionFunctions(MatchAccess access, SessionBook book, VenueDirectory venues, Notifications.Mail.MailSettings mail, TimeProvider time)
{
    [Function("ProposeSession")]
    [EndpointSummary("Proposes a session: a time inside both weekly availabilities, in a mode both accept (video with the mentor's link, phone, or in person at a venue).")]
    [AcceptsBody(typeof(SessionProposal)), ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status201Created), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> ProposeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "matches/{matchId}/sessions")] HttpRequest req,
        string matchId, CancellationToken ct)
    {
        var proposal = await req.ReadJsonAsync<SessionProposal>(ct);
        if (await access.FindAsync(req.HttpContext, matchId, ct) is not { } match) return Problems.NotFound("The match");
        if (match.Match.Status != RequestStatus.Matched)
            return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The match has ended", "Sessions are planned for an active match only.");
        var v = await book.CheckAsync(match, match.Party, proposal, confirming: false, ct);
        if (!v.IsValid) return v.ToResult();
        var row = await book.ProposeAsync(match, match.Party, proposal, ct);
        return Results.Created($"/api/matches/{matchId}/sessions/{row.SessionId}", SessionsApi.ToView(row, IsStaff(req)));
    }

    [Function("ListSessions"), AccessLink]
    [EndpointSummary("The match's sessions, earliest first, with each side's check-in once given.")]
    [ProducesResponseType<IReadOnlyList<SessionsApi.SessionView>>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "matches/{matchId}/sessions")] HttpRequest req,
        string matchId, CancellationToken ct) =>
        await access.FindAsync(req.HttpContext, matchId, ct) is { } match
            ? Results.Ok((await book.ListAsync(match, ct)).Select(s => SessionsApi.ToView(s, IsStaff(req))).ToList())
            : Problems.NotFound("The match");

    [Function("ConfirmSession")]
    [EndpointSummary("The side that did not propose the session confirms it (a mentor confirming a video session gives the link if it is missing).")]
    [AcceptsBody(typeof(SessionsApi.SessionConfirmRequest)), ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> ConfirmAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "matches/{matchId}/sessions/{sessionId}/confirm")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct)
    {
        var body = await req.ReadJsonAsync<SessionsApi.SessionConfirmRequest>(ct);
        return await ChangeAsync(req, matchId, sessionId, SessionChange.Confirm, async (match, row) =>
        {
            var link = body.VideoLink ?? row.VideoLink;
            var proposal = new SessionProposal(row.Start, (int)(row.End - row.Start).TotalMinutes, row.Mode, link, row.VenueId);
            // Confirming re-checks the rules: availability, a venue's hours or a profile may have changed since.
            var v = await book.CheckAsync(match, match.Party, proposal, confirming: true, ct);
            return (v, null, link);
        }, ct);
    }

    [Function("DeclineSession")]
    [EndpointSummary("The side that did not propose the session declines it.")]
    [ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> DeclineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "matches/{matchId}/sessions/{sessionId}/decline")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        ChangeAsync(req, matchId, sessionId, SessionChange.Decline, (_, _) => Task.FromResult((new Validation(), (SessionProposal?)null, (string?)null)), ct);

    [Function("MoveSession")]
    [EndpointSummary("Counter-proposes another time (or mode, or venue) for a proposed session, or reschedules a confirmed one; the invitation's SEQUENCE rises.")]
    [AcceptsBody(typeof(SessionProposal)), ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> MoveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "matches/{matchId}/sessions/{sessionId}/move")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct)
    {
        var proposal = await req.ReadJsonAsync<SessionProposal>(ct);
        return await ChangeAsync(req, matchId, sessionId, SessionChange.Counter, async (match, _) =>
            (await book.CheckAsync(match, match.Party, proposal, confirming: false, ct), proposal, null), ct);
    }

    [Function("CancelSession")]
    [EndpointSummary("Either side cancels a proposed or confirmed session; its invitation becomes a METHOD:CANCEL with the same UID.")]
    [ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> CancelAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "matches/{matchId}/sessions/{sessionId}/cancel")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        ChangeAsync(req, matchId, sessionId, SessionChange.Cancel, (_, _) => Task.FromResult((new Validation(), (SessionProposal?)null, (string?)null)), ct);

    [Function("GetSessionInvite"), AccessLink]
    [EndpointSummary("The confirmed (or cancelled) session as an iCalendar invitation in the caller's side's time zone.")]
    [Produces(SessionInvite.ContentType), ProducesResponseType<string>(StatusCodes.Status200OK, SessionInvite.ContentType)]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> InviteAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "matches/{matchId}/sessions/{sessionId}/invite")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct)
    {
        if (await access.FindAsync(req.HttpContext, matchId, ct) is not { } match) return Problems.NotFound("The match");
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

    [Function("SuggestVenues")]
    [EndpointSummary("Registered venues open for the whole session and within both sides' travel radius, nearest first.")]
    [QueryParameter("start", "Required: when the session would start, a date-time with its offset.", Required = true, Type = "date-time")]
    [QueryParameter("durationMinutes", "Required: how long it would last, 15 to 240 minutes.", Required = true, Type = "integer", Minimum = 15, Maximum = 240)]
    [ProducesResponseType<IReadOnlyList<VenueSuggestion>>(StatusCodes.Status200OK), ProducesValidationProblem, ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> SuggestVenuesAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "matches/{matchId}/venues")] HttpRequest req,
        string matchId, CancellationToken ct)
    {
        var v = new Validation();
        var start = v.Time(req, "start");
        var minutes = v.Int(req, "durationMinutes");
        v.Require(start is not null, "start", "Is required: a date-time with its offset.");
        v.Require(minutes is >= SessionRules.MinMinutes and <= SessionRules.MaxMinutes, "durationMinutes", Texts.Format("Is required: {0} to {1} minutes.", SessionRules.MinMinutes, SessionRules.MaxMinutes));
        if (!v.IsValid) return v.ToResult();
        if (await access.FindAsync(req.HttpContext, matchId, ct) is not { } match) return Problems.NotFound("The match");
        if (await book.PartiesAsync(match, ct) is not { } parties || parties.Learner.Place is not { } lp || parties.Mentor.Profile.Home is not { } mp)
            return Results.Ok(Array.Empty<VenueSuggestion>());
        return Results.Ok(VenueDirectory.Suitable(await venues.AllAsync(ct), lp, parties.Learner.TravelRadiusKm, mp, parties.Mentor.Profile.TravelRadiusKm,
            start!.Value, start.Value.AddMinutes(minutes!.Value)).ToList());
    }

    private async Task<IResult> ChangeAsync(HttpRequest req, string matchId, string sessionId, SessionChange change,
        Func<MatchParty, SessionRow, Task<(Validation Rules, SessionProposal? Proposal, string? VideoLink)>> check, CancellationToken ct)
    {
        return await Contention.RetryAsync(async () =>
        {
            if (await access.FindAsync(req.HttpContext, matchId, ct) is not { } match) return Problems.NotFound("The match");
            if (await book.FindAsync(match, sessionId, ct) is not { } row) return Problems.NotFound("The session");
            if (change != SessionChange.Cancel && match.Match.Status != RequestStatus.Matched)
                return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The match has ended", "Only a cancellation is possible now.");
            // Refused before the rules are checked: a change that cannot happen is a 409, whatever its body.
            if (SessionBook.Refusal(row, change, match.Party) is { } refused) return SessionsApi.Refused(refused);
            var (rules, proposal, link) = await check(match, row);
            if (!rules.IsValid) return rules.ToResult();
            // A session changed meanwhile is a lost race: read again.
            try { return Results.Ok(SessionsApi.ToView(await book.ChangeAsync(match, row, change, match.Party, proposal, link, ct), IsStaff(req))); }
            catch (SessionChangeRefusedException e) { return SessionsApi.Refused(e); }
        }, ct, maxAttempts: 5,
            whenExhausted: () => Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The session kept changing", "Read it again and retry."));
    }

    private static bool IsStaff(HttpRequest req) => req.HttpContext.Caller().Role == Role.Ngo;
}

/// <summary>After a session: each side says whether it was held, and rates it.</summary>
[Tags("Mentoring"), RequireRoles(Role.Ngo, Role.Learner, Role.Mentor)]
public sealed class CheckInFunctions(SessionBook book)
{
    [Function("ListCheckIns"), AccessLink]
    [EndpointSummary("The caller's pending check-ins: a mentor's own, a learner's own, or all of the NGO's learners'.")]
    [ProducesResponseType<IReadOnlyList<SessionsApi.PendingCheckInView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "check-ins")] HttpRequest req, CancellationToken ct)
    {
        var (partition, learnerId) = Scope(req.HttpContext);
        return Results.Ok((await book.PendingCheckInsAsync(partition, learnerId, ct)).Select(e => new SessionsApi.PendingCheckInView(
            e.SessionId, e.MatchId, RequestLifecycle.Code(e.Party), e.Start, e.End)).ToList());
    }

    [Function("AnswerCheckIn"), AccessLink]
    [EndpointSummary("Answers a check-in: held, noShow or moved, a rating of 1 to 5 and an optional comment (shown to the NGO's staff, never logged or exported).")]
    [AcceptsBody(typeof(CheckInAnswer)), ProducesResponseType(StatusCodes.Status204NoContent), ProducesValidationProblem, ProducesProblem(StatusCodes.Status404NotFound)]
    [ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> AnswerAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "check-ins/{sessionId}")] HttpRequest req,
        string sessionId, CancellationToken ct)
    {
        var answer = await req.ReadJsonAsync<CheckInAnswer>(ct);
        var v = new Validation()
            .Require(Enum.IsDefined(answer.Attendance), "attendance", "held, noShow or moved.")
            .Require(answer.Rating is null or >= 1 and <= 5, "rating", "1 to 5.")
            .Require(answer.Rating is null || answer.Attendance == Attendance.Held, "rating", "Only a session that was held is rated.")
            .Require(answer.Comment is null || answer.Comment.Length <= SessionsApi.CommentMaxLength, "comment", Texts.Format("At most {0} characters.", SessionsApi.CommentMaxLength));
        if (!v.IsValid) return v.ToResult();
        var (partition, learnerId) = Scope(req.HttpContext);
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
    private static (string Partition, string? LearnerId) Scope(HttpContext http)
    {
        var caller = http.Caller();
        return caller.Role == Role.Mentor
            ? (SessionBook.CheckInPartition(Party.Mentor, caller.OrganisationId, MentorsApi.MyId(http)), null)
            : (SessionBook.CheckInPartition(Party.Learner, caller.OrganisationId, ""), caller.Role == Role.Learner ? caller.SubjectId : null);
    }
}
