using Matching.Mentoring.Sessions;
using Matching.Security;

namespace Matching.Pages.Learner;

/// <summary>
/// The learner's pages, without an account: their personal link (<c>/l/{code}</c>, from their association, by SMS or QR
/// code) opens a session on their phone and shows their page at once, which is then at <c>/l</c>: their mentor, the next meeting, confirm or ask
/// for another day, the check-in's three buttons, and who to ask for help. Every action goes through the same services
/// and checks as the API's access link.
/// </summary>
public sealed class LearnerPages(LearnerLinks links, LearnerHomeData data, SessionActions actions, TimeProvider time)
{
    public const string Home = "/l";

    [Function("OpenLearnerLink"), Page(PageAccess.Anyone)]
    public async Task<IResult> OpenAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "l/{code}")] HttpRequest req, string code, CancellationToken ct)
    {
        var link = IAccessLinks.Prefix + code;
        if (code.Length is < 16 or > 64 || !code.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || await links.ResolveAsync(link, ct) is not { } caller)
            return PageResults.Error(StatusCodes.Status404NotFound, "This link does not work",
                "It may be old or mistyped. Ask your association for a new link.");
        LinkSession.Write(req.HttpContext, link, caller, time.GetUtcNow());
        // The page itself, not a redirect to it: on a slow phone network a redirect costs a round trip of up to two
        // seconds. The link stays in the address bar, where it came from (the SMS holds it too); it never leaves in a
        // Referer (no-referrer), and the page's own links and forms lead to /l.
        req.HttpContext.Items[PageResult.PathItem] = Home;
        req.HttpContext.User = caller.ToPrincipal(LinkSession.How);
        return Show(await data.ReadAsync(req.HttpContext, null, null, ct));
    }

    [Function("LearnerHome"), Page(PageAccess.Learner)]
    public async Task<IResult> HomeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "l")] HttpRequest req, CancellationToken ct)
    {
        var done = req.Query["done"].ToString() is { Length: > 0 and <= 20 } d ? d : null;
        return Show(await data.ReadAsync(req.HttpContext, done, null, ct));
    }

    [Function("LearnerConfirmSession"), Page(PageAccess.Learner)]
    public async Task<IResult> ConfirmAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "l/sessions/{matchId}/{sessionId}/confirm")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        await AfterAsync(req, await actions.ConfirmAsync(req.HttpContext, matchId, sessionId, null, ct), "confirmed", ct);

    [Function("LearnerAskAnotherTime"), Page(PageAccess.Learner)]
    public async Task<IResult> AnotherTimeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "l/sessions/{matchId}/{sessionId}/another-time")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct) =>
        await AfterAsync(req, await actions.ChangeAsync(req.HttpContext, matchId, sessionId, SessionChange.Decline, ct), "asked", ct);

    [Function("LearnerSessionCalendar"), Page(PageAccess.Learner)]
    public async Task<IResult> CalendarAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "l/sessions/{matchId}/{sessionId}/calendar")] HttpRequest req,
        string matchId, string sessionId, CancellationToken ct)
    {
        return PageResults.CalendarFile(req.HttpContext, await actions.InvitationAsync(req.HttpContext, matchId, sessionId, ct), (Home, Words.T("Back to my page")));
    }

    [Function("LearnerAnswerCheckIn"), Page(PageAccess.Learner)]
    public async Task<IResult> CheckInAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "l/check-ins/{sessionId}")] HttpRequest req,
        string sessionId, CancellationToken ct)
    {
        var form = await req.ReadFormAsync(ct);
        // An answer the buttons never send is refused by the same rule as the API's (a value outside held, noShow, moved).
        var attendance = FormValues.Named<Attendance>(form["attendance"]);
        return await AfterAsync(req, await actions.AnswerCheckInAsync(req.HttpContext, sessionId, new CheckInAnswer(attendance), ct), "answered", ct);
    }

    [Function("LearnerSignOut"), Page(PageAccess.Learner)]
    public static IResult SignOut([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "l/sign-out")] HttpRequest req)
    {
        LinkSession.Clear(req.HttpContext);
        return PageResults.Error(StatusCodes.Status200OK, "You have left your page", "To come back, open your link again.");
    }

    /// <summary>Done: back to the page with a word of thanks (303, so that a reload does not post again); refused: the page with the reason.</summary>
    private async Task<IResult> AfterAsync(HttpRequest req, IResult result, string done, CancellationToken ct)
    {
        if (PageOutcome.ProblemOf(result) is not { } problem) return PageResults.SeeOther($"{Home}?done={done}");
        return Show(await data.ReadAsync(req.HttpContext, null, problem.Text, ct), problem.Status);
    }

    private static IResult Show(LearnerHome model, int status = StatusCodes.Status200OK) =>
        PageResults.Show<LearnerPage>(new Dictionary<string, object> { ["Model"] = model }, status);
}
