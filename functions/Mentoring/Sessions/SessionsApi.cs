using Matching.Engine;
using Matching.Platform;
using Matching.Security;
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
public sealed class SessionFunctions(MatchAccess access, SessionBook book, SessionActions actions)
{
    [Function("ProposeSession")]
    [EndpointSummary("Proposes a session: a time inside both weekly availabilities, in a mode both accept (video with the mentor's link, phone, or in person at a venue).")]
    [AcceptsBody(typeof(SessionProposal)), ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status201Created), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> ProposeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/matches/{matchId}/sessions")] HttpRequest req,
        string matchId, CancellationToken ct)
    {
        var proposal = await req.ReadJsonAsync<SessionProposal>(ct);
        return await actions.ProposeAsync(req.HttpContext, matchId, proposal, ct);
    }

    [Function("ListSessions"), AccessLink]
    [EndpointSummary("The match's sessions, earliest first, with each side's check-in once given.")]
    [ProducesResponseType<IReadOnlyList<SessionsApi.SessionView>>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/matches/{matchId}/sessions")] HttpRequest req,
        string matchId, CancellationToken ct) =>
        await access.FindAsync(req.HttpContext, matchId, ct) is { } match
            ? Results.Ok((await book.ListAsync(match, ct)).Select(s => SessionsApi.ToView(s, SessionActions.IsStaff(req.HttpContext))).ToList())
            : Problems.NotFound("The match");

    [Function("ConfirmSession")]
    [EndpointSummary("The side that did not propose the session confirms it (a mentor confirming a video session gives the link if it is missing).")]
    [AcceptsBody(typeof(SessionsApi.SessionConfirmRequest)), ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> ConfirmAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/matches/{matchId}/sessions/{sessionId}/confirm")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        await actions.ConfirmAsync(req.HttpContext, matchId, sessionId, (await req.ReadJsonAsync<SessionsApi.SessionConfirmRequest>(ct)).VideoLink, ct);

    [Function("DeclineSession")]
    [EndpointSummary("The side that did not propose the session declines it.")]
    [ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> DeclineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/matches/{matchId}/sessions/{sessionId}/decline")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        actions.ChangeAsync(req.HttpContext, matchId, sessionId, SessionChange.Decline, ct);

    [Function("MoveSession")]
    [EndpointSummary("Counter-proposes another time (or mode, or venue) for a proposed session, or reschedules a confirmed one; the invitation's SEQUENCE rises.")]
    [AcceptsBody(typeof(SessionProposal)), ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> MoveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/matches/{matchId}/sessions/{sessionId}/move")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        await actions.MoveAsync(req.HttpContext, matchId, sessionId, await req.ReadJsonAsync<SessionProposal>(ct), ct);

    [Function("CancelSession")]
    [EndpointSummary("Either side cancels a proposed or confirmed session; its invitation becomes a METHOD:CANCEL with the same UID.")]
    [ProducesResponseType<SessionsApi.SessionView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> CancelAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/matches/{matchId}/sessions/{sessionId}/cancel")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        actions.ChangeAsync(req.HttpContext, matchId, sessionId, SessionChange.Cancel, ct);

    [Function("GetSessionInvite"), AccessLink]
    [EndpointSummary("The confirmed (or cancelled) session as an iCalendar invitation in the caller's side's time zone.")]
    [Produces(SessionInvite.ContentType), ProducesResponseType<string>(StatusCodes.Status200OK, SessionInvite.ContentType)]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> InviteAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/matches/{matchId}/sessions/{sessionId}/invite")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        actions.InvitationAsync(req.HttpContext, matchId, sessionId, ct);

    [Function("SuggestVenues")]
    [EndpointSummary("Registered venues open for the whole session and within both sides' travel radius, nearest first.")]
    [QueryParameter("start", "Required: when the session would start, a date-time with its offset.", Required = true, Type = "date-time")]
    [QueryParameter("durationMinutes", "Required: how long it would last, 15 to 240 minutes.", Required = true, Type = "integer", Minimum = 15, Maximum = 240)]
    [ProducesResponseType<IReadOnlyList<VenueSuggestion>>(StatusCodes.Status200OK), ProducesValidationProblem, ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> SuggestVenuesAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/matches/{matchId}/venues")] HttpRequest req,
        string matchId, CancellationToken ct)
    {
        var v = new Validation();
        var start = v.Time(req, "start");
        var minutes = v.Int(req, "durationMinutes");
        v.Require(start is not null, "start", "Is required: a date-time with its offset.");
        v.Require(minutes is >= SessionRules.MinMinutes and <= SessionRules.MaxMinutes, "durationMinutes", Texts.Format("Is required: {0} to {1} minutes.", SessionRules.MinMinutes, SessionRules.MaxMinutes));
        if (!v.IsValid) return v.ToResult();
        return await actions.SuggestVenuesAsync(req.HttpContext, matchId, start!.Value, minutes!.Value, ct) is { } suitable
            ? Results.Ok(suitable) : Problems.NotFound("The match");
    }
}

/// <summary>After a session: each side says whether it was held, and rates it.</summary>
[Tags("Mentoring"), RequireRoles(Role.Ngo, Role.Learner, Role.Mentor)]
public sealed class CheckInFunctions(SessionActions actions)
{
    [Function("ListCheckIns"), AccessLink]
    [EndpointSummary("The caller's pending check-ins: a mentor's own, a learner's own, or all of the NGO's learners'.")]
    [ProducesResponseType<IReadOnlyList<SessionsApi.PendingCheckInView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/check-ins")] HttpRequest req, CancellationToken ct) =>
        Results.Ok((await actions.PendingCheckInsAsync(req.HttpContext, ct)).Select(e => new SessionsApi.PendingCheckInView(
            e.SessionId, e.MatchId, RequestLifecycle.Code(e.Party), e.Start, e.End)).ToList());

    [Function("AnswerCheckIn"), AccessLink]
    [EndpointSummary("Answers a check-in: held, noShow or moved, a rating of 1 to 5 and an optional comment (shown to the NGO's staff, never logged or exported).")]
    [AcceptsBody(typeof(CheckInAnswer)), ProducesResponseType(StatusCodes.Status204NoContent), ProducesValidationProblem, ProducesProblem(StatusCodes.Status404NotFound)]
    [ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> AnswerAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/check-ins/{sessionId}")] HttpRequest req,
        string sessionId, CancellationToken ct) =>
        await actions.AnswerCheckInAsync(req.HttpContext, sessionId, await req.ReadJsonAsync<CheckInAnswer>(ct), ct);
}
