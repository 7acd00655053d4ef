using System.Globalization;
using Matching.Engine;
using Matching.Mentoring;
using Matching.Mentoring.Sessions;
using Matching.Security;

namespace Matching.Pages.Mentor;

/// <summary>
/// One match, as its mentor works on it (<c>/m/matches/{id}</c>): the meetings, to propose, move or cancel (with the
/// places open at that time, for meeting in person), the check-ins after a meeting, and the end of the match with its
/// outcome. Times are in the mentor's own zone. Without script: finding places is the same form posted with another
/// button, which shows the page again with them.
/// </summary>
[RequireRoles(Role.Mentor)]
public sealed class MentorMatchPages(MatchAccess matches, SessionBook sessions, SessionActions actions, MentorDirectory mentors, TimeProvider time)
{
    public static string PathOf(string matchId) => $"/m/matches/{matchId}";

    /// <summary>A meeting being planned, as the form holds it: new (no session id) or moved.</summary>
    public sealed record Plan(string? SessionId, string Start, int DurationMinutes, SessionMode Mode, string? VideoLink, string? VenueId);

    [Function("MentorMatch"), Page(PageAccess.Member)]
    public async Task<IResult> ShowAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "m/matches/{matchId}")] HttpRequest req, string matchId, CancellationToken ct)
    {
        var move = req.Query["move"].ToString() is { Length: > 0 } m ? m : null;
        var done = req.Query["done"].ToString() is { Length: > 0 and <= 20 } d ? d : null;
        return await ShowAsync(req.HttpContext, matchId, move, null, null, done, null, StatusCodes.Status200OK, ct);
    }

    [Function("MentorProposeSession"), Page(PageAccess.Member)]
    public Task<IResult> ProposeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/matches/{matchId}/sessions")] HttpRequest req, string matchId, CancellationToken ct) =>
        PlanAsync(req, matchId, null, ct);

    [Function("MentorMoveSession"), Page(PageAccess.Member)]
    public Task<IResult> MoveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/sessions/{matchId}/{sessionId}/move")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        PlanAsync(req, matchId, sessionId, ct);

    [Function("MentorCancelSession"), Page(PageAccess.Member)]
    public async Task<IResult> CancelAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/sessions/{matchId}/{sessionId}/cancel")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        await AfterAsync(req.HttpContext, matchId, await actions.ChangeAsync(req.HttpContext, matchId, sessionId, SessionChange.Cancel, ct), "cancelled", ct);

    [Function("MentorAnswerCheckIn"), Page(PageAccess.Member)]
    public async Task<IResult> CheckInAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/matches/{matchId}/check-ins/{sessionId}")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct)
    {
        var form = await req.ReadFormAsync(ct);
        var attendance = FormValues.Named<Attendance>(form["attendance"]);
        int? rating = form["rating"].ToString() is { Length: > 0 } r ? int.TryParse(r, out var n) ? n : -1 : null;
        var comment = form["comment"].ToString().Trim() is { Length: > 0 } c ? c : null;
        return await AfterAsync(req.HttpContext, matchId,
            await actions.AnswerCheckInAsync(req.HttpContext, sessionId, new CheckInAnswer(attendance, attendance == Attendance.Held ? rating : null, comment), ct), "answered", ct);
    }

    [Function("MentorEndMatch"), Page(PageAccess.Member)]
    public async Task<IResult> EndAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/matches/{matchId}/end")] HttpRequest req,
        string matchId, CancellationToken ct)
    {
        var form = await req.ReadFormAsync(ct);
        var outcome = FormValues.Named<MatchOutcome>(form["outcome"]);
        var note = form["note"].ToString().Trim() is { Length: > 0 } n ? n : null;
        return await AfterAsync(req.HttpContext, matchId, await matches.EndAsync(req.HttpContext, matchId, new MentoringApi.EndMatchRequest(outcome, note), ct), "ended", ct);
    }

    /// <summary>Proposes or moves a meeting; or, with the "places" button, shows the form again with the places open at that time.</summary>
    private async Task<IResult> PlanAsync(HttpRequest req, string matchId, string? sessionId, CancellationToken ct)
    {
        var form = await req.ReadFormAsync(ct);
        var zone = await ZoneAsync(req.HttpContext, ct);
        var plan = new Plan(sessionId, form["start"].ToString(), int.TryParse(form["durationMinutes"], out var minutes) ? minutes : -1,
            FormValues.Named<SessionMode>(form["mode"]),
            form["videoLink"].ToString().Trim() is { Length: > 0 } link ? link : null, form["venueId"].ToString() is { Length: > 0 } venue ? venue : null);
        var start = StartOf(plan.Start, zone);
        if (form["step"] == "places")
            return await ShowAsync(req.HttpContext, matchId, sessionId, plan, start is null ? null : await actions.SuggestVenuesAsync(req.HttpContext, matchId, start.Value,
                Math.Clamp(plan.DurationMinutes, SessionRules.MinMinutes, SessionRules.MaxMinutes), ct) ?? [], null, null, StatusCodes.Status200OK, ct, zone);
        // A time the form could not read is refused in the rule's own words for a start in the past.
        var proposal = new SessionProposal(start ?? DateTimeOffset.MinValue, plan.DurationMinutes, plan.Mode, plan.Mode == SessionMode.Video ? plan.VideoLink : null,
            plan.Mode == SessionMode.InPerson ? plan.VenueId : null);
        var result = sessionId is null
            ? await actions.ProposeAsync(req.HttpContext, matchId, proposal, ct)
            : await actions.MoveAsync(req.HttpContext, matchId, sessionId, proposal, ct);
        if (PageOutcome.ProblemOf(result) is { } problem)
            return await ShowAsync(req.HttpContext, matchId, sessionId, plan, null, null, problem, problem.Status, ct, zone);
        return PageResults.SeeOther($"{PathOf(matchId)}?done={(sessionId is null ? "proposed" : "moved")}");
    }

    /// <summary>A time as a phone's date-and-time field sends it (2026-12-10T18:30), in the mentor's zone.</summary>
    private static DateTimeOffset? StartOf(string value, TimeZoneInfo zone)
    {
        if (!DateTime.TryParseExact(value, ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return null;
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    private async Task<TimeZoneInfo> ZoneAsync(HttpContext http, CancellationToken ct) =>
        Shown.Zone((await mentors.FindAsync(MentorsApi.MyId(http), ct))?.Profile.Availability.TimeZone);

    private async Task<IResult> AfterAsync(HttpContext http, string matchId, IResult result, string done, CancellationToken ct) =>
        PageOutcome.ProblemOf(result) is { } problem
            ? await ShowAsync(http, matchId, null, null, null, null, problem, problem.Status, ct)
            : PageResults.SeeOther($"{PathOf(matchId)}?done={done}");

    private async Task<IResult> ShowAsync(HttpContext http, string matchId, string? move, Plan? plan, IReadOnlyList<VenueSuggestion>? places, string? done,
        PageProblem? problem, int status, CancellationToken ct,
        TimeZoneInfo? zone = null)
    {
        if (await matches.FindAsync(http, matchId, ct) is not { } match)
            return PageResults.Error(StatusCodes.Status404NotFound, "Not found", "This match is not yours, or it does not exist.", (MentorPages.Home, Words.T("My mentoring")));
        zone ??= await ZoneAsync(http, ct); // the planning form read it already
        var view = await matches.ViewAsync(match.Match, ct);
        var rows = await sessions.ListAsync(match, ct);
        var checkIns = (await actions.PendingCheckInsAsync(http, ct)).Where(c => c.MatchId == matchId).OrderBy(c => c.Start).ToList();
        var moving = move is null ? null : rows.FirstOrDefault(s => s.SessionId == move && s.Status is SessionStatus.Proposed or SessionStatus.Confirmed);
        plan ??= moving is null
            ? new Plan(null, "", 60, SessionMode.Video, null, null)
            : new Plan(moving.SessionId, TimeZoneInfo.ConvertTime(moving.Start, zone).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture),
                (int)(moving.End - moving.Start).TotalMinutes, moving.Mode, moving.VideoLink, moving.VenueId);
        return PageResults.Show<MentorMatchPage>(new Dictionary<string, object>
        {
            ["Match"] = view, ["Active"] = match.Match.Status == RequestStatus.Matched, ["Sessions"] = rows, ["CheckIns"] = checkIns, ["Zone"] = zone, ["Now"] = time.GetUtcNow(),
            ["Plan"] = plan, ["Places"] = places!, ["Done"] = done!, ["Problem"] = problem!,
        }, status);
    }
}
