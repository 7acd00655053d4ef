using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CloudNative.CloudEvents.SystemTextJson;
using Matching.Platform;
using Matching.Storage;


namespace Matching.Notifications;

/// <summary>An endpoint as its organisation registers it: an URL and the events it wants (<c>*</c> for all).</summary>
public sealed record WebhookInput(string Url, IReadOnlyList<string> Events);

/// <summary>An endpoint as shown to its organisation's admins: never the secret, except once, when it is made or rotated.</summary>
public sealed record WebhookView(string Id, string Url, IReadOnlyList<string> Events, bool Enabled, string? DisabledReason, int ConsecutiveFailures,
    DateTimeOffset? LastDeliveredAt, DateTimeOffset? LastFailedAt, string? LastError, DateTimeOffset CreatedAt, string? Secret = null);

/// <summary>
/// The rules of webhook endpoints. On Azure an endpoint is an https URL whose name resolves only to public addresses
/// (a server-side request forgery could otherwise reach the platform's own network); locally, http and loopback are
/// allowed so that a developer's tool (and the tests' receiver) can listen.
/// </summary>
public static class WebhookRules
{
    public const int MaxEndpointsPerOrganisation = 10, DisableAfterFailures = 20;

    /// <summary>An endpoint is disabled once it has failed this long without one success (and at least <see cref="DisableAfterFailures"/> times):
    /// an endpoint that fails now and then, or is down for an hour, keeps its events.</summary>
    public static readonly TimeSpan DisableAfterFailingFor = TimeSpan.FromHours(24);

    public static Validation Validate(WebhookInput input, bool allowPrivate)
    {
        var v = new Validation();
        // Uri.TryCreate trims and drops some characters: the text as given must have no whitespace or control character.
        var ok = input.Url is { Length: > 0 and <= 500 } && !input.Url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            && Uri.TryCreate(input.Url, UriKind.Absolute, out var uri) && string.IsNullOrEmpty(uri.UserInfo) && uri.Fragment.Length == 0
            && (uri.Scheme == Uri.UriSchemeHttps || allowPrivate && uri.Scheme == Uri.UriSchemeHttp && WebhookAddresses.IsLoopbackHost(uri));
        v.Require(ok, "url", allowPrivate
            ? "An absolute https URL (http only to this machine), without credentials, fragment, spaces or control characters."
            : "An absolute https URL, without credentials, fragment, spaces or control characters.");
        if (ok && !allowPrivate && IPAddress.TryParse(new Uri(input.Url).IdnHost.Trim('[', ']'), out var literal))
            v.Require(WebhookAddresses.IsPublic(literal), "url", "A public address: private, loopback, link-local, reserved and documentation addresses are refused.");
        v.Require(input.Events is { Count: > 0 and <= 30 } && input.Events.All(e => e == "*" || NoticeRules.TryParseCode(e, out _)),
            "events", "A list of event types (such as offer.accepted or session.confirmed), or [\"*\"] for all.");
        return v;
    }

    public static bool Wants(IReadOnlyList<string> events, NoticeType type) => events.Contains("*") || events.Contains(NoticeRules.Code(type));

    /// <summary>A Standard Webhooks secret: <c>whsec_</c> and 32 random bytes in base64.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// Organisations' webhook endpoints, one partition per organisation. The signing secret is kept in the row (the app
/// must sign with it); after a rotation the previous secret signs beside the new one for a day, so that a receiver
/// can switch without losing events.
/// </summary>
public sealed class WebhookBook(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Table = "webhooks";
    public static readonly TimeSpan RotationOverlap = TimeSpan.FromDays(1);

    /// <summary>Deliveries read an organisation's endpoints from memory for this long: a change made on another instance
    /// (removed, disabled, a new secret) applies within it; on this instance at once.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset ReadAt, IReadOnlyList<Endpoint> Endpoints)> _cache = new(StringComparer.Ordinal);
    private TableClient Client => tables.GetTableClient(Table);

    public sealed record Endpoint(string Org, string Id, string Url, IReadOnlyList<string> Events, bool Enabled, IReadOnlyList<string> Secrets,
        int ConsecutiveFailures, DateTimeOffset? LastDeliveredAt);

    /// <summary>An organisation's endpoints as deliveries use them, read at most every <see cref="CacheFor"/>.</summary>
    private async Task<IReadOnlyList<Endpoint>> EndpointsAsync(string org, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(org, out var cached) && now - cached.ReadAt < CacheFor) return cached.Endpoints;
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<Endpoint>();
        await foreach (var e in Client.QueryAsync<TableEntity>(e => e.PartitionKey == org, cancellationToken: ct)) list.Add(ToEndpoint(e));
        _cache[org] = (now, list);
        return list;
    }

    private void Forget(string org) => _cache.TryRemove(org, out _);

    public async Task<WebhookView?> AddAsync(string org, WebhookInput input, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        if ((await ListAsync(org, ct)).Count >= WebhookRules.MaxEndpointsPerOrganisation) return null;
        var secret = WebhookRules.NewSecret();
        var row = new TableEntity(org, Ids.New())
        {
            ["Url"] = input.Url, ["Events"] = JsonSerializer.Serialize(input.Events), ["Secret"] = secret, ["Enabled"] = true,
            ["ConsecutiveFailures"] = 0, ["CreatedAt"] = time.GetUtcNow(),
        };
        await Client.AddEntityAsync(row, ct);
        Forget(org);
        return ToView(row) with { Secret = secret };
    }

    public async Task<IReadOnlyList<WebhookView>> ListAsync(string org, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<WebhookView>();
        await foreach (var e in Client.QueryAsync<TableEntity>(e => e.PartitionKey == org, cancellationToken: ct)) list.Add(ToView(e));
        return list.OrderBy(w => w.CreatedAt).ToList();
    }

    public async Task<WebhookView?> FindAsync(string org, string id, CancellationToken ct) => await RowAsync(org, id, ct) is { } row ? ToView(row) : null;

    /// <summary>The organisation's enabled endpoints that want this event, with their secrets (for the dispatcher and the sender).</summary>
    public async Task<IReadOnlyList<Endpoint>> SubscribedAsync(string org, NoticeType type, CancellationToken ct) =>
        (await EndpointsAsync(org, ct)).Where(e => e.Enabled && WebhookRules.Wants(e.Events, type)).ToList();

    public async Task<Endpoint?> EndpointAsync(string org, string id, CancellationToken ct) => (await EndpointsAsync(org, ct)).FirstOrDefault(e => e.Id == id);

    public async Task<bool> DeleteAsync(string org, string id, CancellationToken ct)
    {
        // Read first: a delete of an absent row is not an error everywhere (Azurite answers 204).
        if (await RowAsync(org, id, ct) is not { } row) return false;
        try { await Client.DeleteEntityAsync(org, id, row.ETag, ct); return true; }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412) { return false; }
        finally { Forget(org); }
    }

    /// <summary>A new secret; the previous one keeps signing beside it for <see cref="RotationOverlap"/>.</summary>
    public async Task<WebhookView?> RotateAsync(string org, string id, CancellationToken ct)
    {
        if (await RowAsync(org, id, ct) is not { } row) return null;
        var secret = WebhookRules.NewSecret();
        row["PreviousSecret"] = row.GetString("Secret");
        row["PreviousUntil"] = time.GetUtcNow() + RotationOverlap;
        row["Secret"] = secret;
        await Client.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Replace, ct);
        Forget(org);
        return ToView(row) with { Secret = secret };
    }

    /// <summary>Turns an endpoint back on after its owner fixed it: the failure count starts again.</summary>
    public async Task<WebhookView?> EnableAsync(string org, string id, CancellationToken ct)
    {
        if (await RowAsync(org, id, ct) is not { } row) return null;
        row["Enabled"] = true;
        row["DisabledReason"] = null;
        row["ConsecutiveFailures"] = 0;
        row["EnabledAt"] = time.GetUtcNow();
        await Client.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Replace, ct);
        Forget(org);
        return ToView(row);
    }

    /// <summary>A success resets the failure count and records when (issue 29: written at most once a minute before, so
    /// <c>lastDeliveredAt</c> lagged the deliveries an admin could see). One small merge per delivery, beside the delivery's
    /// own log row; the senders' cache is dropped only when the failure count changes.</summary>
    public async Task DeliveredAsync(Endpoint endpoint, CancellationToken ct)
    {
        try
        {
            await Client.UpdateEntityAsync(new TableEntity(endpoint.Org, endpoint.Id) { ["ConsecutiveFailures"] = 0, ["LastDeliveredAt"] = time.GetUtcNow() }, ETag.All, TableUpdateMode.Merge, ct);
            if (endpoint.ConsecutiveFailures != 0) Forget(endpoint.Org);
        }
        catch (RequestFailedException ex) when (ex.Status == 404) { } // removed meanwhile
    }

    /// <summary>
    /// Counts a failed delivery. An endpoint that answered 410 Gone, or that has failed <see cref="WebhookRules.DisableAfterFailures"/>
    /// times in a row over <see cref="WebhookRules.DisableAfterFailingFor"/> without a success, is disabled, saying why.
    /// </summary>
    public async Task FailedAsync(string org, string id, string error, bool gone, CancellationToken ct)
    {
        // A count lost to five concurrent changes is dropped: the next failure counts again.
        await Contention.RetryAsync(async () =>
        {
            if (await RowAsync(org, id, ct) is not { } row) return;
            var failures = (row.GetInt32("ConsecutiveFailures") ?? 0) + 1;
            var changes = new TableEntity(org, id) { ["ConsecutiveFailures"] = failures, ["LastFailedAt"] = time.GetUtcNow(), ["LastError"] = error };
            var lastGood = row.GetDateTimeOffset("LastDeliveredAt") ?? row.GetDateTimeOffset("EnabledAt") ?? row.GetDateTimeOffset("CreatedAt") ?? time.GetUtcNow();
            if (row.GetBoolean("Enabled") == true
                && (gone || failures >= WebhookRules.DisableAfterFailures && time.GetUtcNow() - lastGood >= WebhookRules.DisableAfterFailingFor))
            {
                changes["Enabled"] = false;
                changes["DisabledReason"] = gone ? $"The endpoint answered 410 Gone ({error})."
                    : $"No delivery succeeded for {(time.GetUtcNow() - lastGood).TotalHours:0} hours ({failures} failures in a row); the last: {error}.";
            }
            await Client.UpdateEntityAsync(changes, row.ETag, TableUpdateMode.Merge, ct);
            Forget(org);
        }, ct, maxAttempts: 5, whenExhausted: () => { });
    }

    private async Task<TableEntity?> RowAsync(string org, string id, CancellationToken ct)
    {
        if (!Ids.IsValid(id)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Client.GetEntityIfExistsAsync<TableEntity>(org, id, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    private static IReadOnlyList<string> Events(TableEntity e) => JsonSerializer.Deserialize<string[]>(e.GetString("Events") ?? "[]") ?? [];

    private Endpoint ToEndpoint(TableEntity e)
    {
        var secrets = new List<string> { e.GetString("Secret") };
        if (e.GetString("PreviousSecret") is { } previous && e.GetDateTimeOffset("PreviousUntil") > time.GetUtcNow()) secrets.Add(previous);
        return new(e.PartitionKey, e.RowKey, e.GetString("Url"), Events(e), e.GetBoolean("Enabled") == true, secrets,
            e.GetInt32("ConsecutiveFailures") ?? 0, e.GetDateTimeOffset("LastDeliveredAt"));
    }

    private static WebhookView ToView(TableEntity e) => new(e.RowKey, e.GetString("Url"), Events(e), e.GetBoolean("Enabled") == true, e.GetString("DisabledReason"),
        e.GetInt32("ConsecutiveFailures") ?? 0, e.GetDateTimeOffset("LastDeliveredAt"), e.GetDateTimeOffset("LastFailedAt"), e.GetString("LastError"),
        e.GetDateTimeOffset("CreatedAt") ?? default);
}
