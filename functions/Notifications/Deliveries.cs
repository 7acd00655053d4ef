using Azure;
using Azure.Data.Tables;
using Matching.Notifications.Mail;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.Extensions.Options;

namespace Matching.Notifications;

/// <summary>Every <c>Notifications:*</c> setting, bound once (<see cref="NotificationsModule"/>) and validated at start.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>Locally (and in the tests) webhooks may point at loopback and private addresses; never on Azure
    /// (<see cref="PrivateWebhooksAllowed"/> says what holds).</summary>
    public bool AllowPrivateWebhooks { get; set; } = true;

    /// <summary>Where the links in mails point: the public address of the API (by default <c>Matching:LocalUrl</c>).</summary>
    [System.ComponentModel.DataAnnotations.Url] public string? LinkBaseUrl { get; set; }

    /// <summary>Attempts at one delivery before it is kept among the failures.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 50)] public int MaxAttempts { get; set; } = 8;

    [System.ComponentModel.DataAnnotations.Range(0.001, 86_400)] public double RetryBaseSeconds { get; set; } = 30;

    /// <summary>The key that signs unsubscribe links; by default one the app makes and keeps.</summary>
    public string? LinkKey { get; set; }

    public bool PrivateWebhooksAllowed => AllowPrivateWebhooks && !AuthSettings.RunningOnAzure;

    public string LinkBase => (LinkBaseUrl ?? "http://localhost:7071").TrimEnd('/');

    /// <summary>The wait before attempt n+1: base × 4^(n-1), at most 6 hours, ±20 % so that retries do not march together.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var seconds = RetryBaseSeconds * Math.Pow(4, attempt - 1);
        return TimeSpan.FromSeconds(Math.Min(seconds, 6 * 3600) * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }
}

/// <summary>One notice to one recipient (<c>mentor:…</c>, <c>learner:…</c>, <c>staff:…</c>) or one endpoint (<c>webhook:{org}:{id}</c>).</summary>
public sealed record Delivery(Notice Notice, string Target, int Attempt = 1)
{
    private const string WebhookPrefix = "webhook:";

    /// <summary>The same notice to the same target always has the same id: a repeated dispatch is recognised.</summary>
    public string Id => Ids.Derive(Notice.Id, Target);

    public static string ToWebhook(WebhookBook.Endpoint e) => $"{WebhookPrefix}{e.Org}:{e.Id}";

    /// <summary>The endpoint this delivery is for, or null when it is for a person.</summary>
    public (string Org, string EndpointId)? Webhook =>
        Target.StartsWith(WebhookPrefix, StringComparison.Ordinal) && Target.Split(':') is [_, var org, var id] ? (org, id) : null;
}

/// <summary>
/// Turns each announced outbox row into deliveries (one per person to tell and per endpoint that wants the event),
/// then deletes the row. A repeated message finds the row gone; a crash before the delete dispatches again, and the
/// deliveries' log recognises what was sent.
/// </summary>
public sealed class DispatchNotices(TableServiceClient tables, StorageProvisioner provisioner, QueueSender queue, PreferenceBook preferences, WebhookBook webhooks,
    ReminderBook reminders, IEnumerable<OutboxTable> outboxTables, TimeProvider time, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    public const string DeliveryQueue = "notice-deliveries";

    [Function("DispatchNotices")]
    public async Task RunAsync([QueueTrigger(Outbox.Queue)] string message, string id, long dequeueCount, CancellationToken ct)
    {
        var pointer = new QueueMessage(id, message, dequeueCount).ReadJson<Outbox.Pointer>(json.Value.SerializerOptions);
        if (!outboxTables.Any(t => t.Name == pointer.Table) || pointer.Ids is not { Count: > 0 and <= 100 } || pointer.Ids.Any(i => !Ids.IsValid(i)))
            throw new InvalidQueueMessageException("The message names no outbox rows.");
        await provisioner.EnsureReadyAsync(ct);
        var table = tables.GetTableClient(pointer.Table);
        foreach (var noticeId in pointer.Ids)
        {
            var found = await table.GetEntityIfExistsAsync<TableEntity>(pointer.Partition, Outbox.KeyPrefix + noticeId, cancellationToken: ct);
            if (!found.HasValue) continue; // dispatched already
            var notice = Outbox.Read(found.Value!);
            foreach (var target in await TargetsAsync(notice, ct))
                await queue.SendAsync(DeliveryQueue, new Delivery(notice, target), ct);
            foreach (var (kind, at, lead) in ReminderBook.For(notice, time.GetUtcNow()))
                await reminders.AddAsync(notice, kind, at, lead, ct);
            try { await table.DeleteEntityAsync(pointer.Partition, found.Value!.RowKey, ETag.All, ct); }
            catch (RequestFailedException ex) when (ex.Status == 404) { }
        }
    }

    /// <summary>Who hears of a notice (<see cref="NoticeRules.AudienceOf"/>), and which endpoints want it.</summary>
    public async Task<IReadOnlyList<string>> TargetsAsync(Notice notice, CancellationToken ct)
    {
        var audience = NoticeRules.AudienceOf(notice.Type);
        var targets = new List<string>();
        // The one who acted is not told of their own act, except of a confirmation, which brings both the invitation.
        // Staff acting for their learner: the learner is told (it was not their act), the staff are not.
        if (notice.Type != NoticeType.SessionConfirmed && notice.Actor is "mentor") audience &= ~Audience.Mentor;
        if (notice.Type != NoticeType.SessionConfirmed && notice.Actor is "learner") audience &= ~Audience.Learner;
        if (notice.Actor is "staff") audience &= ~Audience.NgoStaff;
        if (audience.HasFlag(Audience.Mentor) && notice.MentorId is { } mentor) targets.Add(new Recipient(RecipientKind.Mentor, "", mentor).ToString());
        if (audience.HasFlag(Audience.Learner) && notice.LearnerId is { } learner) targets.Add(new Recipient(RecipientKind.Learner, notice.Org, learner).ToString());
        if (audience.HasFlag(Audience.NgoStaff))
            targets.AddRange((await preferences.StaffAsync(notice.Org, [Role.Ngo, Role.Admin], ct)).Where(s => s.Preferences.Wants(Channel.Email)).Select(s => s.Recipient.ToString()));
        foreach (var org in new[] { notice.Org, notice.ProviderOrg }.OfType<string>().Distinct())
            targets.AddRange((await webhooks.SubscribedAsync(org, notice.Type, ct)).Select(Delivery.ToWebhook));
        return targets;
    }
}

/// <summary>
/// Makes one delivery, at least once and normally once: a log row per delivery says sent (then a repeat does
/// nothing) or being sent (a short lease, so that two copies of a message do not send together). A failure is
/// retried later with back-off (a new message, delayed); after <see cref="NotificationOptions.MaxAttempts"/> it is
/// kept among the organisation's failed deliveries, which its admins read. Quiet hours delay a person's mail to
/// their end. Names and addresses are read only now, so an erased person is told nothing.
/// </summary>
public sealed class DeliverNotice(TableServiceClient tables, StorageProvisioner provisioner, QueueSender queue, Recipients recipients, MailComposer composer,
    MailSender mail, Sms.SmsSender sms, WebhookBook webhooks, WebhookSender sender, IOptions<NotificationOptions> options, TimeProvider time,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, ILogger<DeliverNotice> logger)
{
    public const string LogTable = "noticedeliveries", FailureTable = "noticefailures";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    [Function("DeliverNotice")]
    public async Task RunAsync([QueueTrigger(DispatchNotices.DeliveryQueue)] string message, string id, long dequeueCount, CancellationToken ct)
    {
        var delivery = new QueueMessage(id, message, dequeueCount).ReadJson<Delivery>(json.Value.SerializerOptions);
        if (delivery.Notice is null || !Ids.IsValid(delivery.Notice.Id) || delivery.Target is null) throw new InvalidQueueMessageException("The message names no delivery.");
        await provisioner.EnsureReadyAsync(ct);
        var log = tables.GetTableClient(LogTable);
        var (lease, retryIn) = await TakeAsync(log, delivery, ct);
        if (lease is null)
        {
            // Sent already (nothing to do), or another copy holds it: look again once its lease is over, in case it died.
            if (retryIn is { } wait) await queue.SendAsync(DispatchNotices.DeliveryQueue, delivery, ct, wait);
            return;
        }

        var outcome = await AttemptAsync(delivery, ct);
        var now = time.GetUtcNow();
        switch (outcome)
        {
            case Outcome.Sent or Outcome.Skipped:
                lease["State"] = outcome.State;
                lease["DoneAt"] = now;
                await log.UpdateEntityAsync(lease, ETag.All, TableUpdateMode.Replace, ct);
                if (outcome is Outcome.Sent sent) Telemetry.NoticeLatency.Record((now - delivery.Notice.At).TotalMilliseconds, new KeyValuePair<string, object?>("channel", sent.Channel));
                return;
            // The next message is sent before the lease goes: a failure between the two leaves a lease that a later
            // attempt takes over, never a delivery that nobody will make.
            case Outcome.Later later: // quiet hours: the same attempt, when they end
                await queue.SendAsync(DispatchNotices.DeliveryQueue, delivery, ct, later.Until - now);
                await log.DeleteEntityAsync(lease.PartitionKey, lease.RowKey, ETag.All, ct);
                return;
            case Outcome.Failed failed:
                if (!failed.Permanent && delivery.Attempt < options.Value.MaxAttempts)
                    await queue.SendAsync(DispatchNotices.DeliveryQueue, delivery with { Attempt = delivery.Attempt + 1 }, ct,
                        options.Value.Backoff(delivery.Attempt));
                else await KeepFailureAsync(delivery, failed, ct);
                await log.DeleteEntityAsync(lease.PartitionKey, lease.RowKey, ETag.All, ct);
                return;
        }
    }

    private abstract record Outcome(string State)
    {
        public sealed record Sent(string Channel) : Outcome("sent");
        public sealed record Skipped(string Why) : Outcome("skipped");
        public sealed record Later(DateTimeOffset Until) : Outcome("later");
        public sealed record Failed(string Error, bool Permanent, string Channel = "email") : Outcome("failed");
    }

    private async Task<Outcome> AttemptAsync(Delivery delivery, CancellationToken ct)
    {
        if (delivery.Webhook is var (org, endpointId))
        {
            if (await webhooks.EndpointAsync(org, endpointId, ct) is not { Enabled: true } endpoint
                || !WebhookRules.Wants(endpoint.Events, delivery.Notice.Type)) return new Outcome.Skipped("endpoint removed or disabled");
            var result = await sender.SendAsync(delivery.Id, delivery.Notice, endpoint, ct);
            if (result.Delivered) { await webhooks.DeliveredAsync(endpoint, ct); return new Outcome.Sent("webhook"); }
            await webhooks.FailedAsync(org, endpointId, result.Error ?? "failed", result.Gone, ct);
            return new Outcome.Failed(result.Error ?? "failed", result.Gone, "webhook");
        }

        if (Recipient.Parse(delivery.Target) is not { } recipient) throw new InvalidQueueMessageException("The delivery names no recipient.");
        // A learner whose contact is a phone is told by SMS, of what a phone is for (their match, sessions, check-ins).
        if (await recipients.TextedAsync(recipient, ct) is { } texted)
        {
            if (!Sms.SmsTexts.Covers(delivery.Notice.Type)) return new Outcome.Skipped("not told by SMS");
            if (!sms.Configured) return new Outcome.Skipped("no SMS service configured");
            if (!texted.Preferences.Wants(Channel.Sms)) return new Outcome.Skipped("SMS turned off");
            if (PreferenceRules.QuietUntil(texted.Preferences, time.GetUtcNow()) is { } quietEnd) return new Outcome.Later(quietEnd);
            var text = await recipients.TextAsync(delivery.Notice, recipient, texted, ct);
            try
            {
                await sms.SendAsync(texted.Address, text, ct);
                return new Outcome.Sent("sms");
            }
            catch (Sms.SmsNotSentException ex) { return new Outcome.Failed(ex.Message, ex.Permanent, "sms"); }
        }
        if (!mail.Configured) return new Outcome.Skipped("no SMTP relay configured");
        if (await recipients.AddresseeAsync(recipient, ct) is not { } to) return new Outcome.Skipped("no address, or mail turned off");
        if (PreferenceRules.QuietUntil(to.Preferences, time.GetUtcNow()) is { } until) return new Outcome.Later(until);
        var parts = await recipients.PartsAsync(delivery.Notice, recipient, to, ct);
        try
        {
            await mail.SendAsync(composer.Compose(delivery.Id, delivery.Notice, to, parts), ct);
            return new Outcome.Sent("email");
        }
        catch (MailNotSentException ex) { return new Outcome.Failed(ex.Message, ex.Permanent); }
    }

    /// <summary>
    /// Takes the delivery's lease. Without it: nothing more to do when it was sent (or skipped); otherwise when to look
    /// again (another copy holds a live lease for this attempt or a later one, and may yet die).
    /// </summary>
    private async Task<(TableEntity? Lease, TimeSpan? RetryIn)> TakeAsync(TableClient log, Delivery delivery, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var lease = new TableEntity(delivery.Id, "") { ["State"] = "sending", ["Until"] = now + Lease, ["Attempt"] = delivery.Attempt };
        try
        {
            await log.AddEntityAsync(lease, ct);
            return (lease, null);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var current = await log.GetEntityIfExistsAsync<TableEntity>(delivery.Id, "", cancellationToken: ct);
            if (!current.HasValue) return (null, TimeSpan.FromSeconds(1)); // released meanwhile
            var row = current.Value!;
            if (row.GetString("State") != "sending") return (null, null);
            if (row.GetDateTimeOffset("Until") is { } until && until > now && (row.GetInt32("Attempt") ?? 0) >= delivery.Attempt)
                return (null, until - now + TimeSpan.FromSeconds(1));
            try
            {
                // The holder died mid-send, or left its lease behind for this later attempt: take over on the row's ETag.
                await log.UpdateEntityAsync(lease, row.ETag, TableUpdateMode.Replace, ct);
                return (lease, null);
            }
            catch (RequestFailedException again) when (again.Status == 412) { return (null, Lease); }
        }
    }

    private async Task KeepFailureAsync(Delivery delivery, Outcome.Failed failed, CancellationToken ct)
    {
        var (webhook, error) = (delivery.Webhook, failed.Error);
        var org = webhook?.Org ?? delivery.Notice.Org;
        logger.LogError("A {Event} delivery failed for good after {Attempts} attempts: {Error}", NoticeRules.Code(delivery.Notice.Type), delivery.Attempt, error);
        await tables.GetTableClient(FailureTable).UpsertEntityAsync(new TableEntity(org, delivery.Id)
        {
            ["Event"] = NoticeRules.Code(delivery.Notice.Type), ["NoticeId"] = delivery.Notice.Id, ["Channel"] = failed.Channel,
            ["RecipientKind"] = delivery.Target.Split(':')[0], ["EndpointId"] = webhook?.EndpointId,
            ["Attempts"] = delivery.Attempt, ["Error"] = error, ["FailedAt"] = time.GetUtcNow(), ["OccurredAt"] = delivery.Notice.At,
        }, TableUpdateMode.Replace, ct);
    }
}

/// <summary>Reads, at delivery time, where and how a person is written to, and what their mail may say.</summary>
public sealed class Recipients(INoticeParties parties, IOrganisationNames organisations, ISessionCalendar calendars, PreferenceBook preferences,
    UnsubscribeLinks links, MailSettings mail, IOptions<NotificationOptions> options)
{
    public async Task<Addressee?> AddresseeAsync(Recipient r, CancellationToken ct)
    {
        var p = await preferences.GetAsync(r, ct);
        if (!p.Wants(Channel.Email)) return null;
        switch (r.Kind)
        {
            case RecipientKind.Mentor:
                return await parties.MentorAsync(r.Id, ct) is { Email: { } mentorEmail } mentor ? new Addressee(mentorEmail, mentor.DisplayName, p) : null;
            case RecipientKind.Learner:
                return await parties.LearnerAsync(r.Org, r.Id, ct) is { Email: { } address } learner ? new Addressee(address, learner.DisplayName, p) : null;
            default:
                return p.Email is { } staffEmail ? new Addressee(staffEmail, null, p) : null;
        }
    }

    /// <summary>A learner reached by phone, with their choices; null for anyone else (and for an erased learner).</summary>
    public async Task<Addressee?> TextedAsync(Recipient r, CancellationToken ct)
    {
        if (r.Kind != RecipientKind.Learner || await parties.LearnerAsync(r.Org, r.Id, ct) is not { Phone: { } phone } learner) return null;
        return new Addressee(phone, learner.DisplayName, await preferences.GetAsync(r, ct));
    }

    /// <summary>The SMS a learner reached by phone gets, in their language: their association, the mentor's first name, when, and their page.</summary>
    public async Task<string> TextAsync(Notice n, Recipient r, Addressee to, CancellationToken ct)
    {
        var organisation = await organisations.NameAsync(n.Org, ct) ?? n.Org;
        var mentor = n.MentorId is { } mentorId ? FirstName((await parties.MentorAsync(mentorId, ct))?.DisplayName) : null;
        return Texts.In(Texts.CultureOf(to.Preferences.Language), () =>
        {
            var when = n.When is { } at ? Sms.SmsTexts.When(at, to.Preferences.TimeZone) : null;
            return Sms.SmsTexts.Compose(n.Type, new Sms.SmsParts(organisation, mentor, when, $"{options.Value.LinkBase}/l"));
        });
    }

    public async Task<MailParts> PartsAsync(Notice n, Recipient r, Addressee to, CancellationToken ct)
    {
        var linkBase = options.Value.LinkBase;
        var organisation = await organisations.NameAsync(n.Org, ct);
        var unsubscribe = $"{linkBase}/api/notifications/unsubscribe?token={Uri.EscapeDataString(await links.TokenAsync(r, ct))}";
        string? calendar = null;
        // The invitation goes to the two parties (staff are told, not invited); a move comes as a tentative update.
        if (r.Kind is RecipientKind.Mentor or RecipientKind.Learner && n.Type is NoticeType.SessionConfirmed or NoticeType.SessionMoved or NoticeType.SessionCancelled
            && n.SessionId is not null)
        {
            var from = mail.Sender();
            var attendee = new CalendarAttendee(from.Address, from.Name ?? "Matching", "mailto:" + to.Address, to.Name, to.Preferences.TimeZone);
            var culture = Texts.CultureOf(to.Preferences.Language);
            calendar = await Texts.InAsync(culture, () => calendars.InvitationAsync(n, attendee, ct));
        }
        // Staff read which of their learners it is about, by first name (their own learner: the notice is their organisation's).
        string? learner = null;
        if (r.Kind == RecipientKind.Staff && n.LearnerId is { } learnerId && await parties.LearnerAsync(n.Org, learnerId, ct) is { } person)
            learner = FirstName(person.DisplayName);
        return new MailParts(organisation, ActionUrl(linkBase, n, r), unsubscribe, calendar, r.Kind, learner);
    }

    private static string? FirstName(string? displayName) =>
        displayName?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    /// <summary>Where the mail's button leads: the page of what it names (a learner's own page, opened on their device from their
    /// link; a mentor's offers, meetings and matches, and a staff member's requests, matches and alerts, after signing in).</summary>
    private static string? ActionUrl(string linkBase, Notice n, Recipient r) => r.Kind switch
    {
        RecipientKind.Learner => $"{linkBase}/l",
        RecipientKind.Mentor => MentorActionUrl(linkBase, n),
        _ => StaffActionUrl(linkBase, n),
    };

    /// <summary>A mentor answers offers and the meetings the learner's side proposed on his page; the rest is on the match's page.</summary>
    private static string MentorActionUrl(string linkBase, Notice n) =>
        n.Type is NoticeType.OfferAwaiting or NoticeType.OfferExpiring or NoticeType.SessionProposed or NoticeType.SessionMoved || n.RequestId is null
            ? $"{linkBase}/m" : $"{linkBase}/m/matches/{n.RequestId}";

    /// <summary>An NGO's staff act on requests, matches, alerts and seat claims on their pages.</summary>
    private static string? StaffActionUrl(string linkBase, Notice n) => n.Type switch
    {
        NoticeType.OfferDeclined or NoticeType.ProposalsReady or NoticeType.NoCandidates => $"{linkBase}/o/requests/{n.RequestId}",
        NoticeType.FollowUpAlert => $"{linkBase}/o",
        NoticeType.ClaimConfirmed or NoticeType.ClaimHeld or NoticeType.ClaimWaitlisted or NoticeType.ClaimPromoted or NoticeType.ClaimHoldExpiring
            => $"{linkBase}/o/claims/{n.OfferId}/{n.ClaimId}",
        _ when n.RequestId is not null => $"{linkBase}/o/matches/{n.RequestId}",
        _ => null,
    };
}
