using Matching.Learners;
using Matching.Offers;
using Matching.Security;

namespace Matching.Pages.Staff;

/// <summary>
/// One of the NGO's seat claims (<c>/o/claims/{offer}/{claim}</c>), the page its mails' buttons open: where it stands
/// (confirmed, held until when, waitlisted, released), naming the beneficiaries of a held claim from the NGO's learners
/// to confirm it, and releasing seats. The same actions as the API's (<see cref="SeatClaimActions"/>).
/// </summary>
[RequireRoles(Role.Ngo)]
public sealed class StaffClaimPages(SeatClaimActions claims, OfferService offers, LearnerDirectory learners, Notifications.PreferenceBook preferences)
{
    public static string PathOf(string offerId, string claimId) => $"/o/claims/{offerId}/{claimId}";

    /// <summary>How many of the NGO's learners the confirm form lists (in id order); the API names any of them.</summary>
    private const int LearnersListed = 200;

    [Function("StaffClaim"), Page(PageAccess.Member)]
    public async Task<IResult> ShowAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "o/claims/{offerId}/{claimId}")] HttpRequest req,
        string offerId, string claimId, CancellationToken ct) =>
        await ShowAsync(req.HttpContext, offerId, claimId, req.Query["done"].ToString() is { Length: > 0 and <= 20 } d ? d : null, null, StatusCodes.Status200OK, ct);

    [Function("StaffConfirmClaim"), Page(PageAccess.Member)]
    public async Task<IResult> ConfirmAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "o/claims/{offerId}/{claimId}/confirm")] HttpRequest req,
        string offerId, string claimId, CancellationToken ct)
    {
        var form = await req.ReadFormAsync(ct);
        var request = new ClaimsApi.ClaimConfirmRequest(form["beneficiary"].Select(b => b ?? "").ToList(), form["share"] == "on");
        return await AfterAsync(req.HttpContext, offerId, claimId, await claims.ConfirmAsync(req.HttpContext.Caller(), offerId, claimId, request, ct), "confirmed", ct);
    }

    [Function("StaffReleaseClaim"), Page(PageAccess.Member)]
    public async Task<IResult> ReleaseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "o/claims/{offerId}/{claimId}/release")] HttpRequest req,
        string offerId, string claimId, CancellationToken ct) =>
        await AfterAsync(req.HttpContext, offerId, claimId, await claims.ReleaseAsync(req.HttpContext.Caller(), offerId, claimId), "released", ct);

    private async Task<IResult> AfterAsync(HttpContext http, string offerId, string claimId, IResult result, string done, CancellationToken ct) =>
        PageOutcome.ProblemOf(result) is { } problem
            ? await ShowAsync(http, offerId, claimId, null, problem, problem.Status, ct)
            : PageResults.SeeOther($"{PathOf(offerId, claimId)}?done={done}");

    private async Task<IResult> ShowAsync(HttpContext http, string offerId, string claimId, string? done, PageProblem? problem, int status, CancellationToken ct)
    {
        var caller = http.Caller();
        if (await claims.ViewAsync(caller, offerId, claimId, ct) is not { } claim)
            return PageResults.Error(StatusCodes.Status404NotFound, "Not found", "It is not your organisation's, or it does not exist.", (StaffPages.Home, Words.T("Back")));
        var offer = await offers.ReadAsync(offerId, ct);
        var own = claim.Status == ClaimStatus.Held ? await learners.PageAsync(caller.OrganisationId, null, LearnersListed, ct) : [];
        return PageResults.Show<StaffClaimPage>(new Dictionary<string, object>
        {
            ["Claim"] = claim, ["Title"] = offer?.Details.Title ?? "", ["Learners"] = own.Select(l => (l.Id, l.DisplayName)).ToList(),
            ["Zone"] = await StaffPages.ZoneAsync(preferences, http, ct), ["Done"] = done!, ["Problem"] = problem!,
        }, status);
    }
}
