using Azure.Data.Tables;
using Matching.Learners;
using Matching.Mentoring;
using Matching.Mentoring.Sessions;
using Matching.Security;
using Matching.Storage;

namespace Matching.Pages.Staff;

/// <summary>
/// An NGO's staff at work (<c>/o</c>), the pages their mails' buttons open: what needs them now (follow-up alerts,
/// proposals waiting for their choice, check-ins to answer for a learner), a request with why each mentor is proposed
/// and the choice, and a match's page (meetings to confirm for the learner, check-ins, the end). The same services and
/// checks as the API's, for the organisation the staff member acts in.
/// </summary>
[RequireRoles(Role.Ngo)]
public sealed class StaffPages(TableServiceClient tables, StorageProvisioner provisioner, MentoringLifecycle lifecycle, FollowUpAlerts alerts,
    MatchAccess matches, SessionBook sessions, SessionActions actions, LearnerDirectory learners, Notifications.PreferenceBook preferences, TimeProvider time)
{
    public const string Home = "/o";

    public static string RequestPath(string requestId) => $"/o/requests/{requestId}";

    public static string MatchPath(string matchId) => $"/o/matches/{matchId}";

    /// <summary>One thing that needs the staff member, with its learner's first name and where to act on it.</summary>
    public sealed record Item(string Learner, string Text, string Href, string? AlertId = null);

    [Function("StaffHome"), Page(PageAccess.Member)]
    public async Task<IResult> HomeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "o")] HttpRequest req, CancellationToken ct)
    {
        var org = req.HttpContext.Caller().OrganisationId;
        var alertsRead = alerts.ListAsync(org, false, ct);
        var proposedRead = MentorRequests.PageAsync(tables, provisioner, org, RequestStatus.Proposed, null, 50, null, time.GetUtcNow(), ct);
        var checkInsRead = actions.PendingCheckInsAsync(req.HttpContext, ct);
        var zoneRead = ZoneAsync(preferences, req.HttpContext, ct);
        var waiting = new List<(string LearnerId, string Text, string Href, string? AlertId)>();
        foreach (var a in await alertsRead) waiting.Add((a.LearnerId, a.Detail, MatchPath(a.RequestId), a.Id));
        foreach (var r in (await proposedRead).Items) waiting.Add((r.LearnerId, Words.T("Mentors are proposed: choose one."), RequestPath(r.Id), null));
        var zone = await zoneRead;
        foreach (var c in await checkInsRead)
            waiting.Add((c.LearnerId, Words.F("Did the meeting of {0} take place?", Learner.LearnerHomeData.When(c.Start, c.End, zone)), MatchPath(c.MatchId), null));
        // Each learner's name read once, all together.
        var ids = waiting.Select(w => w.LearnerId).Distinct().ToList();
        var rows = await Task.WhenAll(ids.Select(id => learners.RowAsync(org, id, ct)));
        var names = ids.Zip(rows, (id, row) => (id, Name: FirstName(row?.DisplayName))).ToDictionary(x => x.id, x => x.Name);
        var items = waiting.Select(w => new Item(names[w.LearnerId], w.Text, w.Href, w.AlertId)).ToList();
        var done = req.Query["done"].ToString() is { Length: > 0 and <= 20 } d ? d : null;
        return PageResults.Show<StaffHomePage>(new Dictionary<string, object> { ["Items"] = items, ["Done"] = done! });
    }

    [Function("StaffAcknowledgeAlert"), Page(PageAccess.Member)]
    public async Task<IResult> SeenAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "o/alerts/{alertId}/seen")] HttpRequest req, string alertId, CancellationToken ct) =>
        await alerts.AcknowledgeAsync(req.HttpContext.Caller().OrganisationId, alertId, ct) is null
            ? PageResults.Error(StatusCodes.Status404NotFound, "Not found", "The alert", (Home, Words.T("Back")))
            : PageResults.SeeOther($"{Home}?done=seen");

    [Function("StaffRequest"), Page(PageAccess.Member)]
    public async Task<IResult> RequestAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "o/requests/{requestId}")] HttpRequest req, string requestId, CancellationToken ct) =>
        await ShowRequestAsync(req.HttpContext, requestId, req.Query.ContainsKey("chosen"), null, StatusCodes.Status200OK, ct);

    [Function("StaffChooseMentor"), Page(PageAccess.Member)]
    public async Task<IResult> ChooseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "o/requests/{requestId}/choose")] HttpRequest req, string requestId, CancellationToken ct)
    {
        var mentorId = (await req.ReadFormAsync(ct))["mentorId"].ToString();
        var caller = req.HttpContext.Caller();
        // The API's own answer: a choice outside the proposals, a request that moved on, a mentor with no room left.
        var result = Platform.Ids.IsValid(mentorId)
            ? await MentoringApi.AnswerAsync(async () => await lifecycle.ChooseAsync(caller, requestId, mentorId, ct) is { } row
                ? Results.Ok(MentorRequests.ToView(row, forStaff: true)) : Platform.Problems.NotFound("The request"))
            : new Platform.Validation().Add("mentorId", "A mentor id from the request's proposals.").ToResult();
        return PageOutcome.ProblemOf(result) is { } problem
            ? await ShowRequestAsync(req.HttpContext, requestId, false, problem.Text, problem.Status, ct)
            : PageResults.SeeOther($"{RequestPath(requestId)}?chosen=1");
    }

    [Function("StaffMatch"), Page(PageAccess.Member)]
    public async Task<IResult> MatchAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "o/matches/{matchId}")] HttpRequest req, string matchId, CancellationToken ct) =>
        await ShowMatchAsync(req.HttpContext, matchId, req.Query["done"].ToString() is { Length: > 0 and <= 20 } d ? d : null, null, StatusCodes.Status200OK, ct);

    [Function("StaffConfirmSession"), Page(PageAccess.Member)]
    public async Task<IResult> ConfirmAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "o/sessions/{matchId}/{sessionId}/confirm")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        await AfterAsync(req.HttpContext, matchId, await actions.ConfirmAsync(req.HttpContext, matchId, sessionId, null, ct), "confirmed", ct);

    [Function("StaffDeclineSession"), Page(PageAccess.Member)]
    public async Task<IResult> DeclineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "o/sessions/{matchId}/{sessionId}/decline")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        await AfterAsync(req.HttpContext, matchId, await actions.ChangeAsync(req.HttpContext, matchId, sessionId, SessionChange.Decline, ct), "declined", ct);

    [Function("StaffAnswerCheckIn"), Page(PageAccess.Member)]
    public async Task<IResult> CheckInAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "o/matches/{matchId}/check-ins/{sessionId}")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct)
    {
        var form = await req.ReadFormAsync(ct);
        var attendance = FormValues.Named<Attendance>(form["attendance"]);
        return await AfterAsync(req.HttpContext, matchId, await actions.AnswerCheckInAsync(req.HttpContext, sessionId, new CheckInAnswer(attendance), ct), "answered", ct);
    }

    [Function("StaffEndMatch"), Page(PageAccess.Member)]
    public async Task<IResult> EndAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "o/matches/{matchId}/end")] HttpRequest req, string matchId, CancellationToken ct)
    {
        var form = await req.ReadFormAsync(ct);
        var outcome = FormValues.Named<MatchOutcome>(form["outcome"]);
        var note = form["note"].ToString().Trim() is { Length: > 0 } n ? n : null;
        return await AfterAsync(req.HttpContext, matchId, await matches.EndAsync(req.HttpContext, matchId, new MentoringApi.EndMatchRequest(outcome, note), ct), "ended", ct);
    }

    private async Task<IResult> AfterAsync(HttpContext http, string matchId, IResult result, string done, CancellationToken ct) =>
        PageOutcome.ProblemOf(result) is { } problem
            ? await ShowMatchAsync(http, matchId, null, problem.Text, problem.Status, ct)
            : PageResults.SeeOther($"{MatchPath(matchId)}?done={done}");

    private async Task<IResult> ShowRequestAsync(HttpContext http, string requestId, bool chosen, string? problem, int status, CancellationToken ct)
    {
        var caller = http.Caller();
        if (await MentorRequests.FindAsync(caller, requestId, tables, provisioner, ct) is not { } row) return NotFound();
        var learner = await learners.RowAsync(caller.OrganisationId, row.LearnerId, ct);
        return PageResults.Show<StaffRequestPage>(new Dictionary<string, object>
        {
            ["Request"] = MentorRequests.ToView(row, forStaff: true), ["Learner"] = FirstName(learner?.DisplayName), ["Chosen"] = chosen, ["Problem"] = problem!,
        }, status);
    }

    private async Task<IResult> ShowMatchAsync(HttpContext http, string matchId, string? done, string? problem, int status, CancellationToken ct)
    {
        if (await matches.FindAsync(http, matchId, ct) is not { } match) return NotFound();
        var view = await matches.ViewAsync(match.Match, ct);
        var rows = await sessions.ListAsync(match, ct);
        var checkIns = (await actions.PendingCheckInsAsync(http, ct)).Where(c => c.MatchId == matchId).OrderBy(c => c.Start).ToList();
        return PageResults.Show<StaffMatchPage>(new Dictionary<string, object>
        {
            ["Match"] = view, ["Active"] = match.Match.Status == RequestStatus.Matched, ["Sessions"] = rows, ["CheckIns"] = checkIns,
            ["Zone"] = await ZoneAsync(preferences, http, ct), ["Now"] = time.GetUtcNow(), ["Done"] = done!, ["Problem"] = problem!,
        }, status);
    }

    /// <summary>Times in the staff member's own zone (their notification preferences; Paris until they say).</summary>
    internal static async Task<TimeZoneInfo> ZoneAsync(Notifications.PreferenceBook preferences, HttpContext http, CancellationToken ct) =>
        Shown.Zone((await preferences.GetAsync(Notifications.PreferenceFunctions.Me(http), ct)).TimeZone);

    private static IResult NotFound() =>
        PageResults.Error(StatusCodes.Status404NotFound, "Not found", "It is not your organisation's, or it does not exist.", (Home, Words.T("Back")));

    private static string FirstName(string? displayName) => Shown.FirstName(displayName) ?? Words.T("a learner of yours");
}
