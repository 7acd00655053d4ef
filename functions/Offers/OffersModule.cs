using Azure.Data.Tables;
using Matching.Offers.Lheo;
using Matching.Storage;
using Matching.Notifications;

namespace Matching.Offers;

public static class OffersModule
{
    public const string ExpireHoldsFunction = "ReleaseExpiredHolds";
    /// <summary>The app setting holding its schedule (every minute by default).</summary>
    public const string ExpireHoldsSchedule = "ReleaseExpiredHoldsSchedule";

    public static IServiceCollection AddOffers(this IServiceCollection services)
    {
        services.AddOptions<OfferOptions>().BindConfiguration(OfferOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<OfferOptions>, OfferOptionsValidator>();
        return services.AddOffersServices();
    }

    private static IServiceCollection AddOffersServices(this IServiceCollection services) => services
        .AddTable(OfferRows.Table)
        .AddSingleton<OfferCatalog>()
        .AddSingleton<OfferLedgers>()
        .AddSingleton<OfferService>()
        .AddSingleton<SeatClaimActions>()
        .AddTable(LheoImportApi.Table)
        .AddBlobContainer(LheoImportApi.Container)
        .AddSingleton<LheoImporter>()
        .AddOutboxTable(OfferRows.Table)
        .AddSingleton<OfferFacts>()
        .AddSingleton<IReminderSource, ClaimReminders>();
}

/// <summary>Checks <see cref="OfferOptions"/> by code generated at build time: no reflection on the start path.</summary>
[Microsoft.Extensions.Options.OptionsValidator]
public sealed partial class OfferOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<OfferOptions>;

/// <summary>The offers' settings (section <c>Offers</c>), checked at start.</summary>
public sealed class OfferOptions
{
    public const string Section = "Offers";

    /// <summary>LHEO documents above this size are imported by a queue function, smaller ones at once (0: every one queued).</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 64L * 1024 * 1024)] public long LheoSyncLimitBytes { get; set; } = 256 * 1024;
}

/// <summary>Every minute: holds past their expiry give their seats back, and the waitlist moves up.</summary>
public sealed class ReleaseExpiredHolds(TableServiceClient tables, StorageProvisioner provisioner, OfferLedgers ledgers,
    ILogger<ReleaseExpiredHolds> logger)
{
    [Function(OffersModule.ExpireHoldsFunction)]
    public async Task RunAsync([TimerTrigger("%" + OffersModule.ExpireHoldsSchedule + "%")] TimerInfo timer, CancellationToken cancellationToken)
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
