using Azure.Data.Tables;
using Matching.Storage;

namespace Matching.Offers;

/// <summary>What reports read about a provider's offers: each offer with its claims, streamed one offer at a time.</summary>
public sealed class OfferFacts(TableServiceClient tables, StorageProvisioner provisioner)
{
    public async IAsyncEnumerable<(OfferState Offer, IReadOnlyList<SeatClaim> Claims)> OfProviderAsync(string provider,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var table = tables.GetTableClient(OfferRows.Table);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {OfferRows.HeadKey} and ProviderOrg eq {provider}");
        await foreach (var head in table.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            var offer = OfferRows.ToOffer(head);
            var claims = new List<SeatClaim>();
            await foreach (var row in table.QueryAsync<TableEntity>(OfferRows.PrefixFilter(offer.Id, OfferRows.ClaimPrefix), cancellationToken: ct))
                claims.Add(OfferRows.ToClaim(row));
            yield return (offer, claims);
        }
    }
}
