using Microsoft.Extensions.Options;
using Azure.Data.Tables;
using Matching.Notifications.Mail;
using Matching.Security;
using Matching.Storage;

using Microsoft.AspNetCore.Mvc;

namespace Matching.Notifications;

/// <summary>Checks <see cref="NotificationOptions"/> by code generated at build time: no reflection on the start path.</summary>
[OptionsValidator]
public sealed partial class NotificationOptionsValidator : IValidateOptions<NotificationOptions>;

public static class NotificationsModule
{
    public static IServiceCollection AddNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddLocalization(o => o.ResourcesPath = "Resources");
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section)
            .PostConfigure(o => o.LinkBaseUrl ??= configuration["Matching:LocalUrl"]) // mails link to this host when no public address is set
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>();
        services.AddHttpClient(Sms.SmsSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(20));
        services.AddHttpClient(WebhookSender.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookSender.Handler(sp.GetRequiredService<IOptions<NotificationOptions>>().Value.PrivateWebhooksAllowed));
        return services
            .AddSingleton(MailSettings.Read(configuration))
            .AddSingleton(Sms.SmsSettings.Read(configuration)).AddSingleton<Sms.SmsSender>()
            .AddTable(PreferenceBook.Table).AddTable(WebhookBook.Table).AddTable(DeliverNotice.LogTable).AddTable(DeliverNotice.FailureTable)
            .AddTable(ReminderBook.Table)
            .AddSingleton<Outbox>().AddSingleton<PreferenceBook>().AddSingleton<WebhookBook>().AddSingleton<WebhookSender>()
            .AddSingleton<UnsubscribeLinks>().AddSingleton<MailComposer>().AddSingleton<MailSender>().AddSingleton<Recipients>()
            .AddSingleton<ReminderBook>();
    }
}

/// <summary>A delivery that failed for good, as an organisation's admins see it: what, to which kind of recipient, why. No address.</summary>
public sealed record DeliveryFailureView(string Id, string Event, string NoticeId, string Channel, string RecipientKind, string? EndpointId, int Attempts,
    string Error, DateTimeOffset OccurredAt, DateTimeOffset FailedAt);

[Tags("Notifications"), RequireRoles(Role.Admin)]
public sealed class DeliveryFailureFunctions(TableServiceClient tables, StorageProvisioner provisioner)
{
    [Function("ListDeliveryFailures")]
    [EndpointSummary("Mails and webhook deliveries that failed after every retry (the last 200), newest first.")]
    [ProducesResponseType<IReadOnlyList<DeliveryFailureView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/notifications/failures")] HttpRequest req, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<DeliveryFailureView>();
        var org = req.HttpContext.Caller().OrganisationId;
        await foreach (var e in tables.GetTableClient(DeliverNotice.FailureTable).QueryAsync<TableEntity>(e => e.PartitionKey == org, cancellationToken: ct))
            list.Add(new(e.RowKey, e.GetString("Event"), e.GetString("NoticeId"), e.GetString("Channel"), e.GetString("RecipientKind"), e.GetString("EndpointId"),
                e.GetInt32("Attempts") ?? 0, e.GetString("Error"), e.GetDateTimeOffset("OccurredAt") ?? default, e.GetDateTimeOffset("FailedAt") ?? default));
        return Results.Ok(list.OrderByDescending(f => f.FailedAt).Take(200).ToList());
    }
}
