using Azure.Data.Tables;
using Matching.Hosting;
using Matching.Offers.Lheo;
using Matching.Storage;

namespace Matching.Offers;

public static class OffersModule
{
    public const string ExpireHoldsFunction = "ReleaseExpiredHolds";

    public static IServiceCollection AddOffers(this IServiceCollection services) => services
        .AddTable(OfferRows.Table)
        .AddSingleton<OfferCatalog>()
        .AddSingleton<OfferLedgers>()
        .AddSingleton<OfferService>()
        .AddTimerFunction<ReleaseExpiredHolds>(ExpireHoldsFunction, "0 * * * * *")
        .AddLheoImports();

    public static void MapOfferEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapOffers();
        app.MapClaims();
        app.MapLheoImports();
    }
}

/// <summary>Every minute: holds past their expiry give their seats back, and the waitlist moves up.</summary>
internal sealed class ReleaseExpiredHolds(TableServiceClient tables, StorageProvisioner provisioner, OfferLedgers ledgers,
    ILogger<ReleaseExpiredHolds> logger) : ITimerHandler
{
    public async Task RunAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        await provisioner.EnsureReadyAsync(cancellationToken);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {OfferRows.HeadKey} and Held gt 0");
        var expired = 0;
        await foreach (var head in tables.GetTableClient(OfferRows.Table).QueryAsync<TableEntity>(filter, select: ["PartitionKey"], cancellationToken: cancellationToken))
        {
            LedgerResult<OfferLedger.ExpiryResult> result;
            do
            {
                result = await ledgers.For(head.PartitionKey).ExpireHoldsAsync();
                expired += result.Value?.Expired ?? 0;
            } while (result.Value?.More == true && !cancellationToken.IsCancellationRequested);
        }
        if (expired > 0) logger.LogInformation("Expired {Count} holds", expired);
    }
}
