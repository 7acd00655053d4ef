namespace Matching.Offers;

public enum ClaimStatus { Confirmed, Held, Waitlisted, Rejected, Released, Expired }

/// <summary>Why a claim was rejected, or (OfferClosed) why a waitlisted claim ended without seats.</summary>
public enum RejectionReason { OfferNotOpen, WindowClosed, OverNgoCap, OfferClosed }

/// <summary>What an NGO asks for: seats on one offer, optionally naming its own learners.</summary>
/// The bounds are stated for the OpenAPI document; the rules that enforce them are in ClaimsApi.ValidateRequest.
public sealed record ClaimRequest(
    [property: System.ComponentModel.DataAnnotations.Range(1, 1000)] int Seats,
    [property: System.ComponentModel.DataAnnotations.MaxLength(1000)] IReadOnlyList<string>? Beneficiaries = null,
    [property: System.ComponentModel.DataAnnotations.MaxLength(2000)] string? NeedsNote = null,
    bool AllowPartial = false,
    bool ShareBeneficiariesWithProvider = false);

/// <summary>An offer as the seat rules see it: its terms and its counters.</summary>
public sealed class OfferState
{
    public required string Id { get; init; }
    public required string ProviderOrg { get; init; }
    public required OfferDetails Details { get; set; }
    public OfferStatus Status { get; set; }
    public string? ExternalId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Seats confirmed and seats held: together never above <see cref="OfferDetails.TotalSeats"/>.</summary>
    public int Confirmed { get; set; }
    public int Held { get; set; }
    /// <summary>Claims waiting, and the seats they ask for.</summary>
    public int WaitlistedClaims { get; set; }
    public int WaitlistedSeats { get; set; }
    /// <summary>Arrival order of claims on this offer; the waitlist is served in this order.</summary>
    public long NextSequence { get; set; }

    public int Remaining => Details.TotalSeats - Confirmed - Held;

    public OfferState Copy() => (OfferState)MemberwiseClone();
}

/// <summary>An NGO's seats on one offer, for the fair-share cap.</summary>
public sealed record NgoSeats(int Active, int Waitlisted)
{
    public static NgoSeats None { get; } = new(0, 0);
}

/// <summary>A claim of seats by an NGO on an offer.</summary>
public sealed record SeatClaim
{
    public required string Id { get; init; }
    public required string OfferId { get; init; }
    public required string NgoOrg { get; init; }
    public required int SeatsRequested { get; init; }
    /// <summary>Seats taken from the offer while confirmed or held.</summary>
    public int SeatsAllocated { get; init; }
    /// <summary>Seats the claim held or had confirmed when it was released or its hold expired (issue 29: a released claim
    /// once still said it had seats allocated); 0 otherwise.</summary>
    public int SeatsReleased { get; init; }
    /// <summary>Seats a waitlisted claim waits for (the request, or less under a fair-share cap with partial allowed).</summary>
    public int SeatsWaiting { get; init; }
    public required ClaimStatus Status { get; init; }
    public RejectionReason? Reason { get; init; }
    public bool AllowPartial { get; init; }
    public IReadOnlyList<string> Beneficiaries { get; init; } = [];
    public bool ShareBeneficiariesWithProvider { get; init; }
    public string? NeedsNote { get; init; }
    public long Sequence { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? HoldExpiresAt { get; init; }
    /// <summary>Set when the claim left the waitlist.</summary>
    public DateTimeOffset? PromotedAt { get; init; }
    public string? BodyHash { get; init; }

    /// <summary>Seats this claim currently takes from the offer (confirmed or held).</summary>
    public int ActiveSeats => Status is ClaimStatus.Confirmed or ClaimStatus.Held ? SeatsAllocated : 0;
}
