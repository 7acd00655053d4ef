using Matching.Mentoring;
using Matching.Mentoring.Sessions;
using Matching.Security;

namespace Matching.Pages.Mentor;

/// <summary>
/// The mentor's pages (<c>/m</c>), signed in: the offers waiting for their answer, each with why it is proposed to them,
/// to accept or decline with a reason; their matches, with the meetings to confirm and their calendar files. The same
/// services and checks as the API's.
/// </summary>
[RequireRoles(Role.Mentor)]
public sealed class MentorPages(OfferAnswers answers, MatchAccess matches, SessionBook sessions, SessionActions actions, MentorDirectory mentors, TimeProvider time)
{
    /// <summary>A meeting as the mentor's page shows it, in the mentor's own time zone.</summary>
    public sealed record MeetingItem(string MatchId, string SessionId, SessionStatus Status, bool AwaitsMentor, string When, Engine.SessionMode Mode, string? Place,
        bool NeedsVideoLink);

    public const string Home = "/m", Profile = "/m/profile";

    [Function("MentorHome"), Page(PageAccess.Member)]
    public async Task<IResult> HomeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "m")] HttpRequest req, CancellationToken ct)
    {
        var done = req.Query["done"].ToString() is { Length: > 0 and <= 20 } d ? d : null;
        return await ShowAsync(req.HttpContext, done, null, StatusCodes.Status200OK, ct);
    }

    [Function("MentorAcceptOffer"), Page(PageAccess.Member)]
    public async Task<IResult> AcceptAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/offers/{requestId}/accept")] HttpRequest req,
        string requestId, CancellationToken ct) =>
        await AfterAsync(req.HttpContext, await answers.AcceptAsync(req.HttpContext, requestId, ct), "accepted", ct);

    [Function("MentorDeclineOffer"), Page(PageAccess.Member)]
    public async Task<IResult> DeclineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/offers/{requestId}/decline")] HttpRequest req,
        string requestId, CancellationToken ct)
    {
        var form = await req.ReadFormAsync(ct);
        // A reason the form never offers is refused by the API's own rule (a value outside the list).
        var reason = FormValues.Named<DeclineReason>(form["reason"]);
        var note = form["note"].ToString() is { Length: > 0 } n ? n : null;
        return await AfterAsync(req.HttpContext, await answers.DeclineAsync(req.HttpContext, requestId, new MentoringApi.DeclineRequest(reason, note), ct), "declined", ct);
    }

    [Function("MentorConfirmSession"), Page(PageAccess.Member)]
    public async Task<IResult> ConfirmSessionAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/sessions/{matchId}/{sessionId}/confirm")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct)
    {
        var link = (await req.ReadFormAsync(ct))["videoLink"].ToString() is { Length: > 0 } l ? l : null;
        return await AfterAsync(req.HttpContext, await actions.ConfirmAsync(req.HttpContext, matchId, sessionId, link, ct), "confirmed", ct);
    }

    [Function("MentorDeclineSession"), Page(PageAccess.Member)]
    public async Task<IResult> DeclineSessionAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/sessions/{matchId}/{sessionId}/decline")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        await AfterAsync(req.HttpContext, await actions.ChangeAsync(req.HttpContext, matchId, sessionId, SessionChange.Decline, ct), "session-declined", ct);

    [Function("MentorSessionCalendar"), Page(PageAccess.Member)]
    public async Task<IResult> CalendarAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "m/sessions/{matchId}/{sessionId}/calendar")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct)
    {
        return PageResults.CalendarFile(req.HttpContext, await actions.InvitationAsync(req.HttpContext, matchId, sessionId, ct), (Home, Words.T("My mentoring")));
    }

    private async Task<IResult> AfterAsync(HttpContext http, IResult result, string done, CancellationToken ct) =>
        PageOutcome.ProblemOf(result) is { } problem
            ? await ShowAsync(http, null, problem.Text, problem.Status, ct)
            : PageResults.SeeOther($"{Home}?done={done}");

    private async Task<IResult> ShowAsync(HttpContext http, string? done, string? problem, int status, CancellationToken ct)
    {
        var offers = await answers.ListAsync(http, ct);
        var me = await mentors.FindAsync(MentorsApi.MyId(http), ct);
        var zone = Shown.Zone(me?.Profile.Availability.TimeZone);
        var checkIns = (await actions.PendingCheckInsAsync(http, ct)).GroupBy(c => c.MatchId).ToDictionary(g => g.Key, g => g.Count());
        var views = new List<MentoringApi.MatchView>();
        var meetings = new List<MeetingItem>();
        var now = time.GetUtcNow();
        foreach (var row in (await matches.ListAsync(http, ct)).Where(m => m.Status == Mentoring.RequestStatus.Matched))
        {
            views.Add(await matches.ViewAsync(row, ct));
            foreach (var s in (await sessions.ListAsync(row.Org, row.Id, ct)).Where(s => s.Status is SessionStatus.Proposed or SessionStatus.Confirmed && s.End > now))
                meetings.Add(new MeetingItem(row.Id, s.SessionId, s.Status, s.Status == SessionStatus.Proposed && s.ProposedBy == Party.Learner,
                    Learner.LearnerHomeData.When(s.Start, s.End, zone), s.Mode, s.VenueName, s.Mode == Engine.SessionMode.Video && s.VideoLink is null));
        }
        return PageResults.Show<MentorPage>(new Dictionary<string, object>
        {
            ["Offers"] = offers, ["Matches"] = views.OrderByDescending(v => v.MatchedAt).ToList(), ["Meetings"] = meetings, ["Zone"] = zone,
            ["HasProfile"] = me is not null, ["Paused"] = me?.Profile.Paused == true, ["CheckInsByMatch"] = checkIns,
            ["Done"] = done!, ["Problem"] = problem!,
        }, status);
    }
}
