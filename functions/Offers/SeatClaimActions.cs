using Matching.Learners;
using Matching.Platform;
using Matching.Security;

namespace Matching.Offers;

/// <summary>
/// What an NGO does to one of its seat claims, with every rule in one place: the API's functions and the staff's pages
/// call these with the caller on the request, and show the same answers.
/// </summary>
public sealed class SeatClaimActions(OfferLedgers ledgers, LearnerDirectory learners, OfferService offers)
{
    /// <summary>The claim as its NGO (or the offer's provider) sees it, with the beneficiaries' names where they may be shown.</summary>
    public async Task<ClaimsApi.ClaimView?> ViewAsync(Caller caller, string offerId, string claimId, CancellationToken ct) =>
        await ClaimsApi.FindClaimAsync(offerId, claimId, caller, offers, ct) is { } claim
            ? ClaimsApi.ToView(claim, caller, await ClaimsApi.SharedNamesAsync(claim, caller, learners, ct)) : null;

    /// <summary>Releases the claim's seats or leaves the waitlist (200), or why not (404, 409).</summary>
    public async Task<IResult> ReleaseAsync(Caller caller, string offerId, string claimId) =>
        !Ids.IsValid(offerId) || !Ids.IsValid(claimId)
            ? Problems.NotFound("The claim")
            : ClaimsApi.ToResult(await ledgers.For(offerId).ReleaseAsync(caller.OrganisationId, claimId), caller);

    /// <summary>Confirms a held claim by naming its beneficiaries, the NGO's own learners (200), or why not (400, 404, 409).</summary>
    public async Task<IResult> ConfirmAsync(Caller caller, string offerId, string claimId, ClaimsApi.ClaimConfirmRequest request, CancellationToken ct)
    {
        if (!Ids.IsValid(offerId) || !Ids.IsValid(claimId)) return Problems.NotFound("The claim");
        var v = new Validation();
        v.Require(request.Beneficiaries is { Count: >= 1 and <= 1000 }, "beneficiaries", "Name 1 to 1000 beneficiaries.");
        v.Require((request.Beneficiaries ?? []).All(id => id is not null && Ids.IsValid(id)), "beneficiaries", "Each beneficiary is a learner id.");
        v.Require((request.Beneficiaries ?? []).Distinct().Count() == (request.Beneficiaries?.Count ?? 0), "beneficiaries", "A learner is named once.");
        if (!v.IsValid) return v.ToResult();
        if ((await learners.NotOwnAsync(caller.OrganisationId, request.Beneficiaries!, ct)).Count > 0)
            return Problems.Validation(new Dictionary<string, string[]> { ["beneficiaries"] = ["Only your own learners can be named."] });
        return ClaimsApi.ToResult(await ledgers.For(offerId).ConfirmAsync(caller.OrganisationId, claimId, request.Beneficiaries!, request.ShareBeneficiariesWithProvider), caller);
    }
}
