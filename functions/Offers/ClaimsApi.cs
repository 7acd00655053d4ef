using System.Text.Json;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Platform;
using Matching.Security;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Offers;

/// <summary>NGOs claim seats on offers; providers see the claims on their own offers.</summary>
[Tags("Claims")]
public sealed class ClaimsApi(OfferLedgers ledgers, LearnerDirectory learners, OfferService offers, SeatClaimActions actions, TableServiceClient tables, AbuseLimits limits)
{
    /// <summary>Scoped to the NGO and the offer it is sent to (the request target).</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    public sealed record BeneficiaryView(string Id, string? DisplayName);

    public sealed record ClaimView(
        string Id, string OfferId, string NgoOrg, ClaimStatus Status, string? Reason, int SeatsRequested, int SeatsAllocated,
        int SeatsWaiting, int SeatsReleased, bool AllowPartial, IReadOnlyList<BeneficiaryView>? Beneficiaries, int BeneficiariesNamed,
        bool ShareBeneficiariesWithProvider, string? NeedsNote, long Sequence, DateTimeOffset? HoldExpiresAt,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? PromotedAt);

    public sealed record NgoSummary(string NgoOrg, int ConfirmedSeats, int HeldSeats, int WaitlistedSeats, int Claims);

    public sealed record ClaimListView(
        string OfferId, int TotalSeats, int ConfirmedSeats, int HeldSeats, int SeatsRemaining, int WaitlistedClaims,
        IReadOnlyList<NgoSummary> ByNgo, IReadOnlyList<ClaimView> Claims);

    public sealed record ClaimConfirmRequest(IReadOnlyList<string> Beneficiaries, bool ShareBeneficiariesWithProvider = false);

    public static string? ReasonCode(RejectionReason? reason) => reason switch
    {
        RejectionReason.OfferNotOpen => "offer-not-open",
        RejectionReason.WindowClosed => "window-closed",
        RejectionReason.OverNgoCap => "over-ngo-cap",
        RejectionReason.OfferClosed => "offer-closed",
        _ => null,
    };

    [Function("ClaimSeats"), RequireRoles(Role.Ngo)]
    [EndpointSummary("Claims seats on an offer; requires an Idempotency-Key header. The claim ends confirmed, held, waitlisted or rejected.")]
    [EndpointDescription("Same key and same body: the original claim (Idempotent-Replayed: true). Same key, different body: 422.")]
    [AcceptsBody(typeof(ClaimRequest)), ProducesResponseType<ClaimView>(StatusCodes.Status201Created), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status422UnprocessableEntity), ProducesProblem(StatusCodes.Status429TooManyRequests)]
    [HeaderParameter(IdempotencyHeader, "1 to 255 visible ASCII characters, unique per claim: a retry with the same key and body returns the original claim.", Required = true, MaxLength = 255)]
    public async Task<IResult> ClaimAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offers/{offerId}/claims")] HttpRequest req,
        string offerId, CancellationToken ct)
    {
        var http = req.HttpContext;
        var request = await req.ReadJsonAsync<ClaimRequest>(ct);
        var caller = http.Caller();
        var key = http.Request.Headers[IdempotencyHeader].ToString();
        var v = new Validation()
            .Require(key.Length is >= 1 and <= 255 && key.All(c => c is >= '!' and <= '~'), IdempotencyHeader,
                "Send an Idempotency-Key header of 1 to 255 visible ASCII characters, unique per claim.");
        ValidateRequest(request, v);
        if (!v.IsValid) return v.ToResult();
        if (!Ids.IsValid(offerId)) return Problems.NotFound("The offer");
        if (await limits.TakeAsync(caller.OrganisationId, AbuseLimits.Operation.Claims, ct) is { } tooMany) return tooMany;
        var notOwn = await learners.NotOwnAsync(caller.OrganisationId, request.Beneficiaries ?? [], ct);
        if (notOwn.Count > 0)
            return Problems.Validation(new Dictionary<string, string[]> { ["beneficiaries"] = ["Only your own learners can be named."] });

        var keyHash = Ids.Fingerprint(key);
        var bodyHash = Ids.Fingerprint(JsonSerializer.Serialize(new
        {
            request.Seats, Beneficiaries = (request.Beneficiaries ?? []).Order(StringComparer.Ordinal).ToArray(),
            request.NeedsNote, request.AllowPartial, request.ShareBeneficiariesWithProvider,
        }));
        var result = await ledgers.For(offerId).ClaimAsync(caller.OrganisationId, request, keyHash, bodyHash);
        if (result.Error is { Kind: LedgerErrorKind.IdempotencyMismatch }) return KeyReused();
        if (result.Error is not null) return Problems.NotFound("The offer");
        var claim = result.Value!.Claim;
        if (result.Value.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
        return Results.Created($"/api/offers/{offerId}/claims/{claim.Id}", ToView(claim, caller, names: null));
    }

    public sealed record MyClaimsPage(IReadOnlyList<ClaimView> Items, string? ContinuationToken);

    [Function("ListMyClaims"), RequireRoles(Role.Ngo)]
    [EndpointSummary("All the calling NGO's claims, across offers, optionally of one status, a page at a time (continuationToken).")]
    [QueryParameter("status", "confirmed, held, waitlisted, rejected, released or expired.", Enum = typeof(ClaimStatus)), QueryParameter("pageSize", "1 to 100 (50).", Type = "integer", Minimum = 1, Maximum = 100)]
    [QueryParameter("continuationToken", "From the previous page.", MaxLength = 2048)]
    [ProducesResponseType<MyClaimsPage>(StatusCodes.Status200OK), ProducesValidationProblem]
    public async Task<IResult> ListMineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/claims")] HttpRequest req, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        var v = new Validation();
        var statusText = v.Text(req, "status");
        ClaimStatus? status = null;
        if (statusText is not null)
        {
            if (Enum.TryParse<ClaimStatus>(statusText, ignoreCase: true, out var s) && Enum.IsDefined(s) && !int.TryParse(statusText, out _)) status = s;
            else v.Add("status", "confirmed, held, waitlisted, rejected, released or expired.");
        }
        var size = v.Int(req, "pageSize") ?? 50;
        v.Range(size, 1, 100, "pageSize");
        var token = v.Text(req, "continuationToken");
        if (!v.IsValid) return v.ToResult();
        // The NGO's claim rows across every offer's partition: a filtered query, read a page at a time.
        var filter = status is { } st
            ? TableClient.CreateQueryFilter($"RowKey ge {OfferRows.ClaimPrefix} and RowKey lt {"claim}"} and NgoOrg eq {caller.OrganisationId} and Status eq {st.ToString()}")
            : TableClient.CreateQueryFilter($"RowKey ge {OfferRows.ClaimPrefix} and RowKey lt {"claim}"} and NgoOrg eq {caller.OrganisationId}");
        var items = new List<ClaimView>();
        string? next = null;
        try
        {
            await foreach (var page in tables.GetTableClient(OfferRows.Table).QueryAsync<TableEntity>(filter, maxPerPage: size, cancellationToken: ct).AsPages(token, size))
            {
                foreach (var e in page.Values) items.Add(ToView(OfferRows.ToClaim(e), caller, await SharedNamesAsync(OfferRows.ToClaim(e), caller, learners, ct)));
                next = page.ContinuationToken;
                if (items.Count > 0 || next is null) break; // a filtered page can come back empty with a token: read on
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 400 && token is not null)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["continuationToken"] = ["Not a token this query gave."] });
        }
        return Results.Ok(new MyClaimsPage(items, next));
    }

    [Function("ListClaims"), RequireRoles(Role.Ngo, Role.Provider)]
    [EndpointSummary("The offer's provider sees every claim with counts per NGO; an NGO sees only its own claims.")]
    [ProducesResponseType<ClaimListView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/offers/{offerId}/claims")] HttpRequest req,
        string offerId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        var offer = await offers.FindVisibleAsync(caller, offerId, ct);
        var isProvider = offer is not null && caller.Role == Role.Provider && offer.ProviderOrg == caller.OrganisationId;
        if (offer is null || caller.Role == Role.Provider && !isProvider) return Problems.NotFound("The offer");

        var all = new List<SeatClaim>();
        await foreach (var e in tables.GetTableClient(OfferRows.Table).QueryAsync<TableEntity>(OfferRows.PrefixFilter(offerId, OfferRows.ClaimPrefix), cancellationToken: ct))
            all.Add(OfferRows.ToClaim(e));
        var visible = isProvider ? all : all.Where(c => c.NgoOrg == caller.OrganisationId).ToList();
        var byNgo = visible.GroupBy(c => c.NgoOrg).Select(g => new NgoSummary(g.Key,
            g.Where(c => c.Status == ClaimStatus.Confirmed).Sum(c => c.SeatsAllocated),
            g.Where(c => c.Status == ClaimStatus.Held).Sum(c => c.SeatsAllocated),
            g.Where(c => c.Status == ClaimStatus.Waitlisted).Sum(c => c.SeatsWaiting), g.Count())).OrderBy(s => s.NgoOrg).ToList();
        var views = new List<ClaimView>();
        foreach (var claim in visible.OrderBy(c => c.Sequence)) views.Add(ToView(claim, caller, await SharedNamesAsync(claim, caller, learners, ct)));
        return Results.Ok(new ClaimListView(offerId, offer.Details.TotalSeats, offer.Confirmed, offer.Held, offer.Remaining, offer.WaitlistedClaims, byNgo, views));
    }

    [Function("GetClaim"), RequireRoles(Role.Ngo, Role.Provider)]
    [EndpointSummary("Shows one claim to its NGO or to the offer's provider.")]
    [ProducesResponseType<ClaimView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/offers/{offerId}/claims/{claimId}")] HttpRequest req,
        string offerId, string claimId, CancellationToken ct) =>
        await actions.ViewAsync(req.HttpContext.Caller(), offerId, claimId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The claim");

    [Function("ReleaseClaim"), RequireRoles(Role.Ngo)]
    [EndpointSummary("Releases a claim's seats (or leaves the waitlist); waitlisted claims are then promoted first-in first-out.")]
    [ProducesResponseType<ClaimView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> ReleaseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offers/{offerId}/claims/{claimId}/release")] HttpRequest req,
        string offerId, string claimId, CancellationToken ct)
    {
        return await actions.ReleaseAsync(req.HttpContext.Caller(), offerId, claimId);
    }

    [Function("ConfirmClaim"), RequireRoles(Role.Ngo)]
    [EndpointSummary("Confirms a held claim by naming its beneficiaries (the NGO's own learners) before the hold expires.")]
    [AcceptsBody(typeof(ClaimConfirmRequest)), ProducesResponseType<ClaimView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> ConfirmAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/offers/{offerId}/claims/{claimId}/confirm")] HttpRequest req,
        string offerId, string claimId, CancellationToken ct)
    {
        var request = await req.ReadJsonAsync<ClaimConfirmRequest>(ct);
        return await actions.ConfirmAsync(req.HttpContext.Caller(), offerId, claimId, request, ct);
    }

    private static IResult KeyReused() => Problems.Result(StatusCodes.Status422UnprocessableEntity, ProblemTypes.IdempotencyKeyReused,
        "The Idempotency-Key was already used for a different request", "Use a new key for a new claim; resend the same body to get the original claim.");

    private static void ValidateRequest(ClaimRequest request, Validation v)
    {
        v.Range(request.Seats, 1, 1000, "seats");
        var named = request.Beneficiaries ?? [];
        v.Require(named.Count <= request.Seats, "beneficiaries", "Name at most as many beneficiaries as seats.");
        v.Require(named.All(id => id is not null && Ids.IsValid(id)), "beneficiaries", "Each beneficiary is a learner id.");
        v.Require(named.Distinct().Count() == named.Count, "beneficiaries", "A learner is named once.");
        v.Require(request.NeedsNote is null || request.NeedsNote.Length <= 2000, "needsNote", "At most 2000 characters.");
    }

    internal static IResult ToResult(LedgerResult<SeatClaim> result, Caller caller) => result.Error switch
    {
        null => Results.Ok(ToView(result.Value!, caller, names: null)),
        { Kind: LedgerErrorKind.NotFound } => Problems.NotFound("The claim"),
        { } e => Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The claim cannot change that way", e.Text),
    };

    /// <summary>The claim if the caller may see it: its NGO, or the provider of its offer.</summary>
    internal static async Task<SeatClaim?> FindClaimAsync(string offerId, string claimId, Caller caller, OfferService offers, CancellationToken ct)
    {
        if (!Ids.IsValid(offerId) || !Ids.IsValid(claimId)) return null;
        var offer = await offers.ReadAsync(offerId, ct);
        if (offer is null) return null;
        if (await offers.ReadClaimAsync(offerId, claimId, ct) is not { } claim) return null;
        var allowed = caller.Role == Role.Provider ? offer.ProviderOrg == caller.OrganisationId : claim.NgoOrg == caller.OrganisationId;
        return allowed ? claim : null;
    }

    /// <summary>A provider sees beneficiaries' names only when the NGO shared them; the NGO always sees its own.</summary>
    internal static async Task<IReadOnlyList<BeneficiaryView>?> SharedNamesAsync(SeatClaim claim, Caller caller, LearnerDirectory learners, CancellationToken ct)
    {
        var mayName = caller.OrganisationId == claim.NgoOrg || claim.ShareBeneficiariesWithProvider;
        if (!mayName || claim.Beneficiaries.Count == 0) return null;
        var found = await Task.WhenAll(claim.Beneficiaries.Select(id => learners.FindAsync(claim.NgoOrg, id, ct)));
        return claim.Beneficiaries.Select((id, i) => new BeneficiaryView(id, found[i]?.DisplayName)).ToList();
    }

    public static ClaimView ToView(SeatClaim c, Caller caller, IReadOnlyList<BeneficiaryView>? names)
    {
        var own = caller.OrganisationId == c.NgoOrg;
        var beneficiaries = names ?? (own || c.ShareBeneficiariesWithProvider ? c.Beneficiaries.Select(id => new BeneficiaryView(id, null)).ToList() : null);
        return new ClaimView(c.Id, c.OfferId, c.NgoOrg, c.Status, ReasonCode(c.Reason), c.SeatsRequested, c.SeatsAllocated, c.SeatsWaiting, c.SeatsReleased,
            c.AllowPartial, beneficiaries, c.Beneficiaries.Count, c.ShareBeneficiariesWithProvider, c.NeedsNote, c.Sequence, c.HoldExpiresAt,
            c.CreatedAt, c.UpdatedAt, c.PromotedAt);
    }

}
