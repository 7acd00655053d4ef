using Matching.Notifications;

namespace Matching.Offers;

/// <summary>Offers answer Notifications for held seats: a reminder that a hold expires still applies while the claim is
/// held with that deadline.</summary>
public sealed class ClaimReminders(OfferService offers) : IReminderSource
{
    public bool Handles(NoticeType kind) => kind == NoticeType.ClaimHoldExpiring;

    public async Task<OutboxPlace?> StillDueAsync(NoticeType kind, Notice source, CancellationToken ct) =>
        source.OfferId is { } offerId && source.ClaimId is { } claimId
        && await offers.ReadClaimAsync(offerId, claimId, ct) is { Status: ClaimStatus.Held } claim && claim.HoldExpiresAt == source.When
            ? new OutboxPlace(OfferRows.Table, offerId) : null;
}
