using Azure.Data.Tables;
using Matching.Notifications;
using Matching.Storage;

namespace Matching.Offers;

/// <summary>Offers answer Notifications for held seats: a reminder that a hold expires still applies while the claim is
/// held with that deadline.</summary>
public sealed class ClaimReminders(TableServiceClient tables, StorageProvisioner provisioner) : IReminderSource
{
    public bool Handles(NoticeType kind) => kind == NoticeType.ClaimHoldExpiring;

    public async Task<OutboxPlace?> StillDueAsync(NoticeType kind, Notice source, CancellationToken ct)
    {
        if (source.OfferId is not { } offerId || source.ClaimId is not { } claimId) return null;
        await provisioner.EnsureReadyAsync(ct);
        var row = await tables.GetTableClient(OfferRows.Table).GetEntityIfExistsAsync<TableEntity>(offerId, OfferRows.ClaimKey(claimId), cancellationToken: ct);
        return row.HasValue && OfferRows.ToClaim(row.Value!) is { Status: ClaimStatus.Held } claim && claim.HoldExpiresAt == source.When
            ? new OutboxPlace(OfferRows.Table, offerId) : null;
    }
}
