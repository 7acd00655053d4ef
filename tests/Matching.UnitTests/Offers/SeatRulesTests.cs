using Matching.Offers;

namespace Matching.UnitTests;

public sealed class SeatRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static OfferState Offer(int seats = 10, int? cap = null, bool named = false, OfferStatus status = OfferStatus.Open) => new()
    {
        Id = "o", ProviderOrg = "p", Status = status,
        Details = new OfferDetails("French", [new OfferTopic("French")], ["fr"], OfferFormat.VirtualClass, seats,
            Now.AddDays(-1), Now.AddDays(1), PerNgoCap: cap, HoldMinutes: 60, RequiresNamedBeneficiaries: named),
    };

    [Fact]
    public void Confirms_when_seats_remain()
    {
        var offer = Offer();
        var outcome = SeatRules.Decide(offer, NgoSeats.None, new ClaimRequest(4), Now, out var ngo);
        Assert.Equal((ClaimStatus.Confirmed, 4), (outcome.Status, outcome.Seats));
        Assert.Equal((4, 6), (offer.Confirmed, offer.Remaining));
        Assert.Equal(new NgoSeats(4, 0), ngo);
    }

    [Fact]
    public void Holds_until_beneficiaries_are_named_and_sets_the_expiry()
    {
        var offer = Offer(named: true);
        var outcome = SeatRules.Decide(offer, NgoSeats.None, new ClaimRequest(2, ["a"]), Now, out _);
        Assert.Equal(ClaimStatus.Held, outcome.Status);
        Assert.Equal(Now.AddMinutes(60), outcome.HoldExpiresAt);
        Assert.Equal(2, offer.Held);
        var allNamed = SeatRules.Decide(offer, NgoSeats.None, new ClaimRequest(2, ["a", "b"]), Now, out _);
        Assert.Equal(ClaimStatus.Confirmed, allNamed.Status);
    }

    [Fact]
    public void Waitlists_without_enough_seats_unless_partial_is_allowed()
    {
        var offer = Offer(seats: 3);
        Assert.Equal(ClaimStatus.Waitlisted, SeatRules.Decide(offer, NgoSeats.None, new ClaimRequest(5), Now, out _).Status);
        Assert.Equal((1, 5), (offer.WaitlistedClaims, offer.WaitlistedSeats));

        var other = Offer(seats: 3);
        var partial = SeatRules.Decide(other, NgoSeats.None, new ClaimRequest(5, AllowPartial: true), Now, out _);
        Assert.Equal((ClaimStatus.Confirmed, 3), (partial.Status, partial.Seats));
    }

    [Fact]
    public void Newcomers_wait_behind_an_existing_line_even_with_seats_free()
    {
        var offer = Offer(seats: 3);
        SeatRules.Decide(offer, NgoSeats.None, new ClaimRequest(5), Now, out _); // waits for 5
        var small = SeatRules.Decide(offer, NgoSeats.None, new ClaimRequest(1), Now, out _);
        Assert.Equal(ClaimStatus.Waitlisted, small.Status);
    }

    [Theory]
    [InlineData(OfferStatus.Suspended, 0, RejectionReason.OfferNotOpen)]
    [InlineData(OfferStatus.Closed, 0, RejectionReason.OfferNotOpen)]
    [InlineData(OfferStatus.Open, 2, RejectionReason.WindowClosed)]
    [InlineData(OfferStatus.Open, -2, RejectionReason.WindowClosed)]
    public void Rejects_with_the_reason(OfferStatus status, int daysFromNow, RejectionReason reason)
    {
        var outcome = SeatRules.Decide(Offer(status: status), NgoSeats.None, new ClaimRequest(1), Now.AddDays(daysFromNow), out _);
        Assert.Equal((ClaimStatus.Rejected, reason), (outcome.Status, outcome.Reason));
    }

    [Fact]
    public void Window_closes_exactly_at_its_end()
    {
        var offer = Offer();
        Assert.Equal(ClaimStatus.Rejected, SeatRules.Decide(offer, NgoSeats.None, new ClaimRequest(1), offer.Details.ClaimClosesAt, out _).Status);
        Assert.Equal(ClaimStatus.Confirmed, SeatRules.Decide(offer, NgoSeats.None, new ClaimRequest(1), offer.Details.ClaimOpensAt, out _).Status);
    }

    [Fact]
    public void Fair_share_cap_counts_active_and_waitlisted_seats()
    {
        var offer = Offer(seats: 10, cap: 4);
        Assert.Equal(RejectionReason.OverNgoCap, SeatRules.Decide(offer, new NgoSeats(2, 1), new ClaimRequest(2), Now, out _).Reason);
        var partial = SeatRules.Decide(offer, new NgoSeats(2, 1), new ClaimRequest(2, AllowPartial: true), Now, out var after);
        Assert.Equal((ClaimStatus.Confirmed, 1), (partial.Status, partial.Seats));
        Assert.Equal(new NgoSeats(3, 1), after);
        Assert.Equal(RejectionReason.OverNgoCap, SeatRules.Decide(offer, new NgoSeats(4, 0), new ClaimRequest(1, AllowPartial: true), Now, out _).Reason);
    }

    [Fact]
    public void Returning_seats_updates_the_right_counter()
    {
        var offer = Offer(seats: 10);
        offer.Confirmed = 3; offer.Held = 2; offer.WaitlistedClaims = 1; offer.WaitlistedSeats = 4;
        var confirmed = new SeatClaim { Id = "c", OfferId = "o", NgoOrg = "n", SeatsRequested = 3, SeatsAllocated = 3, Status = ClaimStatus.Confirmed };
        Assert.Equal(new NgoSeats(0, 0), SeatRules.Return(offer, confirmed, new NgoSeats(3, 0)));
        var waiting = confirmed with { Status = ClaimStatus.Waitlisted, SeatsAllocated = 0, SeatsWaiting = 4 };
        Assert.Equal(new NgoSeats(0, 0), SeatRules.Return(offer, waiting, new NgoSeats(0, 4)));
        Assert.Equal((0, 2, 0, 0), (offer.Confirmed, offer.Held, offer.WaitlistedClaims, offer.WaitlistedSeats));
    }

    [Theory]
    [InlineData(3, 5, false, 0)]
    [InlineData(3, 5, true, 3)]
    [InlineData(5, 3, false, 3)]
    [InlineData(0, 3, true, 0)]
    public void Promotion_grants_whole_or_partial_or_nothing(int remaining, int wanted, bool partial, int expected)
    {
        var offer = Offer(seats: 10);
        offer.Confirmed = 10 - remaining;
        Assert.Equal(expected, SeatRules.PromotionGrant(offer, wanted, partial));
    }

    [Fact]
    public void Allocation_above_remaining_is_a_bug_not_an_oversell()
    {
        var offer = Offer(seats: 1);
        Assert.Throws<InvalidOperationException>(() => SeatRules.Allocate(offer, 2, 0, Now));
    }
}
