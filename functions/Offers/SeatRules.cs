namespace Matching.Offers;

/// <summary>
/// The seat rules, pure: given an offer's counters, an NGO's seats and a request, what happens. The ledger
/// applies them inside one transaction; nothing here touches storage.
/// </summary>
public static class SeatRules
{
    /// <summary>For a waitlisted outcome, <paramref name="Seats"/> is what it waits for; otherwise what it was given.</summary>
    public sealed record Outcome(ClaimStatus Status, int Seats, RejectionReason? Reason, DateTimeOffset? HoldExpiresAt);

    /// <summary>Decides a new claim and updates <paramref name="offer"/>'s counters for it.</summary>
    public static Outcome Decide(OfferState offer, NgoSeats ngo, ClaimRequest request, DateTimeOffset now, out NgoSeats ngoAfter)
    {
        ngoAfter = ngo;
        if (offer.Status != OfferStatus.Open) return Reject(RejectionReason.OfferNotOpen);
        if (now < offer.Details.ClaimOpensAt || now >= offer.Details.ClaimClosesAt) return Reject(RejectionReason.WindowClosed);

        var wanted = request.Seats;
        if (offer.Details.PerNgoCap is { } cap)
        {
            // Waitlisted seats count too, so that a promotion can never take an NGO over its fair share.
            var room = cap - ngo.Active - ngo.Waitlisted;
            if (room <= 0 || (wanted > room && !request.AllowPartial)) return Reject(RejectionReason.OverNgoCap);
            wanted = Math.Min(wanted, room);
        }

        // First in, first out: while anyone waits, a newcomer waits behind them.
        var grant = offer.WaitlistedClaims > 0 ? 0
            : wanted <= offer.Remaining ? wanted
            : request.AllowPartial ? offer.Remaining
            : 0;
        if (grant <= 0)
        {
            offer.WaitlistedClaims++;
            offer.WaitlistedSeats += wanted;
            ngoAfter = ngo with { Waitlisted = ngo.Waitlisted + wanted };
            return new Outcome(ClaimStatus.Waitlisted, wanted, null, null);
        }
        ngoAfter = ngo with { Active = ngo.Active + grant };
        return Allocate(offer, grant, request.Beneficiaries?.Count ?? 0, now);
    }

    /// <summary>How many seats the head of the waitlist gets now: 0 means it still waits (and blocks those behind).</summary>
    public static int PromotionGrant(OfferState offer, int seatsWanted, bool allowPartial) =>
        seatsWanted <= offer.Remaining ? seatsWanted : allowPartial && offer.Remaining > 0 ? offer.Remaining : 0;

    /// <summary>Takes seats: held when the offer wants every beneficiary named and some are missing.</summary>
    public static Outcome Allocate(OfferState offer, int seats, int beneficiariesNamed, DateTimeOffset now)
    {
        if (seats > offer.Remaining) throw new InvalidOperationException("Allocation above the seats remaining.");
        if (offer.Details.RequiresNamedBeneficiaries && beneficiariesNamed < seats)
        {
            offer.Held += seats;
            return new Outcome(ClaimStatus.Held, seats, null, now.AddMinutes(offer.Details.HoldMinutes));
        }
        offer.Confirmed += seats;
        return new Outcome(ClaimStatus.Confirmed, seats, null, null);
    }

    /// <summary>Gives a claim's seats back (release, cancel, hold expiry) and updates the counters.</summary>
    public static NgoSeats Return(OfferState offer, SeatClaim claim, NgoSeats ngo)
    {
        switch (claim.Status)
        {
            case ClaimStatus.Confirmed:
                offer.Confirmed -= claim.SeatsAllocated;
                return ngo with { Active = ngo.Active - claim.SeatsAllocated };
            case ClaimStatus.Held:
                offer.Held -= claim.SeatsAllocated;
                return ngo with { Active = ngo.Active - claim.SeatsAllocated };
            case ClaimStatus.Waitlisted:
                offer.WaitlistedClaims--;
                offer.WaitlistedSeats -= claim.SeatsWaiting;
                return ngo with { Waitlisted = ngo.Waitlisted - claim.SeatsWaiting };
            default:
                return ngo;
        }
    }

    private static Outcome Reject(RejectionReason reason) => new(ClaimStatus.Rejected, 0, reason, null);
}
