using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;

namespace Matching.Notifications;

/// <summary>The ways a person can be told: email, or SMS for a learner whose contact is a phone; organisations' tools use webhooks.</summary>
public enum Channel { Email, Sms }

/// <summary>A quiet period in the person's own time (<c>21:00</c> to <c>08:00</c> crosses midnight).</summary>
public sealed record QuietHours(string From, string To);

/// <summary>
/// What a person chose: channels, language, time zone, quiet hours; staff also give the address they want mail at
/// (mentors and learners are written to at the contact of their profile).
/// </summary>
public sealed record NotificationPreferences(IReadOnlyList<Channel> Channels, string Language, string TimeZone, QuietHours? QuietHours = null, string? Email = null)
{
    /// <summary>Until a person says otherwise: email, in French, Paris time, no quiet hours.</summary>
    public static NotificationPreferences Default { get; } = new([Channel.Email], "fr", "Europe/Paris");

    /// <summary>A learner is told at their contact, email or phone, until they (or their NGO for them) say otherwise.</summary>
    public static NotificationPreferences LearnerDefault { get; } = Default with { Channels = [Channel.Email, Channel.Sms] };

    public static NotificationPreferences DefaultFor(RecipientKind kind) => kind == RecipientKind.Learner ? LearnerDefault : Default;

    public bool Wants(Channel channel) => Channels.Contains(channel);
}

/// <summary>Who a person is, for notifications: their kind, and ids only.</summary>
public sealed record Recipient(RecipientKind Kind, string Org, string Id)
{
    /// <summary>The person's key in deliveries and links: <c>mentor:{id}</c>, <c>learner:{org}:{id}</c>, <c>staff:{org}:{subject}</c>.</summary>
    public override string ToString() => Kind == RecipientKind.Mentor ? $"mentor:{Id}" : $"{Kind.ToString().ToLowerInvariant()}:{Org}:{Id}";

    public static Recipient? Parse(string? text)
    {
        var parts = text?.Split(':', 3) ?? []; // a staff member's subject may itself hold ':'
        return parts switch
        {
            ["mentor", var id] when Ids.IsValid(id) => new(RecipientKind.Mentor, "", id),
            ["learner", var org, var id] when Caller.IsOrganisationId(org) && Ids.IsValid(id) => new(RecipientKind.Learner, org, id),
            ["staff", var org, var id] when Caller.IsOrganisationId(org) && id.Length is > 0 and <= 200 => new(RecipientKind.Staff, org, id),
            _ => null,
        };
    }
}

public enum RecipientKind { Mentor, Learner, Staff }

public static class PreferenceRules
{
    public static Validation Validate(NotificationPreferences p, RecipientKind kind)
    {
        var v = new Validation();
        v.Require(p.Channels is not null && p.Channels.All(Enum.IsDefined) && p.Channels.Distinct().Count() == p.Channels.Count, "channels", "A list of channels among \"email\" and \"sms\", or [].");
        v.Require(Texts.Languages.Contains(p.Language), "language", "fr or en.");
        v.Require(TimeZoneInfo.TryFindSystemTimeZoneById(p.TimeZone ?? "", out _), "timeZone", "An IANA time zone, such as Europe/Paris.");
        if (p.QuietHours is { } q)
        {
            v.Require(TryParseTime(q.From, out _), "quietHours.from", "A time of day, HH:mm.");
            v.Require(TryParseTime(q.To, out _), "quietHours.to", "A time of day, HH:mm.");
            v.Require(q.From != q.To, "quietHours", "From and to must differ.");
        }
        if (kind == RecipientKind.Staff)
            v.Require(p.Email is null || p.Email.Length <= 254 && System.Net.Mail.MailAddress.TryCreate(p.Email, out var a) && a.Address == p.Email,
                "email", "An email address.");
        else v.Require(p.Email is null, "email", "Mentors and learners are written to at the contact of their profile.");
        return v;
    }

    public static bool TryParseTime(string? text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out time);

    /// <summary>When the quiet hours around <paramref name="now"/> end, or null when <paramref name="now"/> is not in them.</summary>
    public static DateTimeOffset? QuietUntil(NotificationPreferences p, DateTimeOffset now)
    {
        if (p.QuietHours is not { } q || !TryParseTime(q.From, out var from) || !TryParseTime(q.To, out var to)
            || !TimeZoneInfo.TryFindSystemTimeZoneById(p.TimeZone, out var zone)) return null;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var inside = from < to ? time >= from && time < to : time >= from || time < to;
        if (!inside) return null;
        var endDay = DateOnly.FromDateTime(local.DateTime);
        if (from > to && time >= from) endDay = endDay.AddDays(1); // the period crosses midnight: it ends tomorrow
        var endLocal = endDay.ToDateTime(to);
        return new DateTimeOffset(endLocal, zone.GetUtcOffset(endLocal));
    }
}

/// <summary>
/// People's notification preferences, one row each: mentors in their own partition, an NGO's learners and an
/// organisation's staff in the organisation's (so that staff to tell are one partition read).
/// </summary>
public sealed class PreferenceBook(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Table = "notificationpreferences";
    private TableClient Client => tables.GetTableClient(Table);

    private static (string Partition, string Row) KeyOf(Recipient r) => r.Kind switch
    {
        RecipientKind.Mentor => ($"mentor|{r.Id}", "prefs"),
        RecipientKind.Learner => ($"learner|{r.Org}", r.Id),
        _ => ($"staff|{r.Org}", Ids.Derive(r.Id)), // a subject from a provider may hold any character: keys hold its digest
    };

    public async Task<NotificationPreferences> GetAsync(Recipient r, CancellationToken ct) => (await FindAsync(r, ct))?.Preferences ?? NotificationPreferences.DefaultFor(r.Kind);

    private async Task<(NotificationPreferences Preferences, Role? Role)?> FindAsync(Recipient r, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var (pk, rk) = KeyOf(r);
        var found = await Client.GetEntityIfExistsAsync<TableEntity>(pk, rk, cancellationToken: ct);
        return found.HasValue ? (Read(found.Value!), RoleOf(found.Value!)) : null;
    }

    public async Task<NotificationPreferences> SaveAsync(Recipient r, Role? role, NotificationPreferences p, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var (pk, rk) = KeyOf(r);
        await Client.UpsertEntityAsync(new TableEntity(pk, rk)
        {
            ["Preferences"] = JsonSerializer.Serialize(p, Outbox.Json), ["Subject"] = r.Kind == RecipientKind.Staff ? r.Id : null,
            ["Role"] = role?.ToString(), ["UpdatedAt"] = time.GetUtcNow(),
        }, TableUpdateMode.Replace, ct);
        return p;
    }

    /// <summary>Turns email off (the unsubscribe link); the rest of the person's choices stay.</summary>
    public async Task UnsubscribeAsync(Recipient r, CancellationToken ct)
    {
        var current = await FindAsync(r, ct);
        var p = current?.Preferences ?? NotificationPreferences.DefaultFor(r.Kind);
        await SaveAsync(r, current?.Role, p with { Channels = p.Channels.Where(c => c != Channel.Email).ToArray() }, ct);
    }

    public async Task ForgetAsync(Recipient r, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var (pk, rk) = KeyOf(r);
        try { await Client.DeleteEntityAsync(pk, rk, ETag.All, ct); }
        catch (RequestFailedException ex) when (ex.Status == 404) { }
    }

    /// <summary>The organisation's staff in these roles who asked to be told by email, with their choices.</summary>
    public async Task<IReadOnlyList<(Recipient Recipient, NotificationPreferences Preferences)>> StaffAsync(string org, IReadOnlyCollection<Role> roles, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<(Recipient, NotificationPreferences)>();
        await foreach (var e in Client.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"staff|" + org}"), cancellationToken: ct))
            if (RoleOf(e) is { } role && roles.Contains(role) && e.GetString("Subject") is { } subject)
                list.Add((new Recipient(RecipientKind.Staff, org, subject), Read(e)));
        return list;
    }

    private static NotificationPreferences Read(TableEntity e) =>
        JsonSerializer.Deserialize<NotificationPreferences>(e.GetString("Preferences"), Outbox.Json) ?? NotificationPreferences.Default;

    private static Role? RoleOf(TableEntity e) => Enum.TryParse<Role>(e.GetString("Role"), out var role) ? role : null;
}
