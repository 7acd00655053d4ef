using Matching.Mentoring;
using Matching.Security;

namespace Matching.Pages.Mentor;

/// <summary>
/// The mentor's pages (<c>/m</c>), signed in: the offers waiting for their answer, each with why it is proposed to them,
/// to accept or decline with a reason; and their matches. The same services and checks as the API's.
/// </summary>
[RequireRoles(Role.Mentor)]
public sealed class MentorPages(OfferAnswers answers, MatchAccess matches)
{
    public const string Home = "/m";

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
        var reason = Enum.TryParse<DeclineReason>(form["reason"].ToString(), ignoreCase: true, out var r) && !int.TryParse(form["reason"], out _) ? r : (DeclineReason)(-1);
        var note = form["note"].ToString() is { Length: > 0 } n ? n : null;
        return await AfterAsync(req.HttpContext, await answers.DeclineAsync(req.HttpContext, requestId, new MentoringApi.DeclineRequest(reason, note), ct), "declined", ct);
    }

    private async Task<IResult> AfterAsync(HttpContext http, IResult result, string done, CancellationToken ct) =>
        PageOutcome.ProblemOf(result) is { } problem
            ? await ShowAsync(http, null, problem.Text, problem.Status, ct)
            : PageResults.SeeOther($"{Home}?done={done}");

    private async Task<IResult> ShowAsync(HttpContext http, string? done, string? problem, int status, CancellationToken ct)
    {
        var offers = await answers.ListAsync(http, ct);
        var views = new List<MentoringApi.MatchView>();
        foreach (var row in (await matches.ListAsync(http, ct)).Where(m => m.Status == Mentoring.RequestStatus.Matched))
            views.Add(await matches.ViewAsync(row, ct));
        return PageResults.Show<MentorPage>(new Dictionary<string, object>
        {
            ["Offers"] = offers, ["Matches"] = views.OrderByDescending(v => v.MatchedAt).ToList(), ["Done"] = done!, ["Problem"] = problem!,
        }, status);
    }
}
