using Microsoft.Extensions.Options;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;

using Microsoft.AspNetCore.Mvc;

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
        for (var attempt = 0; attempt < 5; attempt++)
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
            try { await Client.UpdateEntityAsync(changes, row.ETag, TableUpdateMode.Merge, ct); Forget(org); return; }
            catch (RequestFailedException ex) when (ex.Status == 412) { }
        }
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

/// <summary>The outcome of one webhook delivery: delivered, or why not (an HTTP status or the kind of network error).</summary>
public sealed record WebhookResult(bool Delivered, string? Error = null, bool Gone = false);

/// <summary>
/// Sends one event to one endpoint: a CloudEvents 1.0 JSON event (structured mode) signed as the Standard Webhooks
/// spec says (<c>webhook-id</c>: the delivery's id, the same on every retry, for the receiver's dedupe;
/// <c>webhook-timestamp</c>; <c>webhook-signature</c>: one <c>v1,</c> signature per live secret). Where private
/// addresses are refused, the address actually connected to is checked too (a name can resolve elsewhere later).
/// </summary>
public sealed class WebhookSender
{
    public const string HttpClientName = "webhooks";
    private static readonly JsonEventFormatter Formatter = new();
    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    public WebhookSender(IHttpClientFactory factory, TimeProvider time)
    {
        _http = factory.CreateClient(HttpClientName);
        _time = time;
    }

    /// <summary>The handler behind <see cref="HttpClientName"/>: no redirects (a redirect could lead inside), public addresses only where required.</summary>
    public static SocketsHttpHandler Handler(bool allowPrivate) => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            // Every address public, as at registration: the name is resolved again at each connection (it may have changed).
            if (addresses.Length == 0 || !allowPrivate && !addresses.All(WebhookAddresses.IsPublic))
                throw new HttpRequestException("The endpoint's name resolves to an address that is not public.");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try { await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct); }
            catch { socket.Dispose(); throw; }
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    public static CloudEvent ToCloudEvent(Notice notice) => new()
    {
        Id = notice.Id,
        Source = new Uri($"/organisations/{notice.Org}", UriKind.Relative),
        Type = NoticeRules.CloudEventType(notice.Type),
        Time = notice.At,
        Subject = notice.RequestId ?? notice.ClaimId,
        DataContentType = "application/json",
        // Ids and times only: the organisation's own tools read the rest through the API, under its access rules.
        Data = new Dictionary<string, object?>
        {
            ["organisationId"] = notice.Org, ["requestId"] = notice.RequestId, ["learnerId"] = notice.LearnerId, ["mentorId"] = notice.MentorId,
            ["sessionId"] = notice.SessionId, ["offerId"] = notice.OfferId, ["claimId"] = notice.ClaimId, ["when"] = notice.When, ["reason"] = notice.Reason,
        }.Where(p => p.Value is not null).ToDictionary(),
    };

    public async Task<WebhookResult> SendAsync(string deliveryId, Notice notice, WebhookBook.Endpoint endpoint, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetString(Formatter.EncodeStructuredModeMessage(ToCloudEvent(notice), out _).Span);
        var now = _time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/cloudevents+json"),
        };
        request.Headers.Add("webhook-id", deliveryId);
        request.Headers.Add("webhook-timestamp", now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", string.Join(' ', endpoint.Secrets.Select(s => new StandardWebhooks.StandardWebhook(s).Sign(deliveryId, now, body))));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return response.IsSuccessStatusCode
                ? new WebhookResult(true)
                : new WebhookResult(false, $"HTTP {(int)response.StatusCode}", response.StatusCode == HttpStatusCode.Gone);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return new WebhookResult(false, ex is OperationCanceledException ? "timeout" : $"network: {(ex as HttpRequestException)?.HttpRequestError}");
        }
    }
}

/// <summary>An organisation's admins register, list, rotate, re-enable and remove their webhook endpoints.</summary>
[Tags("Notifications"), RequireRoles(Role.Admin)]
public sealed class WebhookFunctions(WebhookBook book, IOptions<NotificationOptions> options, AuditTrail audit)
{
    private bool AllowPrivate => options.Value.PrivateWebhooksAllowed;

    [Function("AddWebhook")]
    [EndpointSummary("Registers an endpoint for the organisation's events; the answer holds its signing secret, shown this once.")]
    [AcceptsBody(typeof(WebhookInput)), ProducesResponseType<WebhookView>(StatusCodes.Status201Created), ProducesValidationProblem, ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> AddAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks")] HttpRequest req, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<WebhookInput>(ct);
        var v = WebhookRules.Validate(input, AllowPrivate);
        if (v.IsValid && !AllowPrivate)
            v.Require(await WebhookAddresses.ResolvesPubliclyAsync(new Uri(input.Url).IdnHost.Trim('[', ']'), Dns.GetHostAddressesAsync, ct), "url",
                "A host whose every address is public: this one does not resolve, or resolves to a private, loopback or reserved address.");
        if (!v.IsValid) return v.ToResult();
        var org = req.HttpContext.Caller().OrganisationId;
        if (await book.AddAsync(org, input, ct) is not { } view)
            return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.ForStatus(409), "Too many endpoints", Texts.Format("An organisation has at most {0} endpoints.", WebhookRules.MaxEndpointsPerOrganisation));
        await audit.WriteAsync(org, req.HttpContext.Caller().SubjectId, "webhook.added", view.Id, ct);
        return Results.Created($"/api/webhooks/{view.Id}", view);
    }

    [Function("ListWebhooks")]
    [EndpointSummary("The organisation's endpoints, with their state (enabled, or disabled and why; the last failure).")]
    [ProducesResponseType<IReadOnlyList<WebhookView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "webhooks")] HttpRequest req, CancellationToken ct) =>
        Results.Ok(await book.ListAsync(req.HttpContext.Caller().OrganisationId, ct));

    [Function("GetWebhook")]
    [EndpointSummary("One endpoint and its state.")]
    [ProducesResponseType<WebhookView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "webhooks/{webhookId}")] HttpRequest req, string webhookId, CancellationToken ct) =>
        await book.FindAsync(req.HttpContext.Caller().OrganisationId, webhookId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The webhook");

    [Function("RotateWebhookSecret")]
    [EndpointSummary("A new signing secret, shown this once; the previous one keeps signing beside it for a day.")]
    [ProducesResponseType<WebhookView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> RotateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks/{webhookId}/rotate-secret")] HttpRequest req, string webhookId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        if (await book.RotateAsync(caller.OrganisationId, webhookId, ct) is not { } view) return Problems.NotFound("The webhook");
        await audit.WriteAsync(caller.OrganisationId, caller.SubjectId, "webhook.secret-rotated", view.Id, ct);
        return Results.Ok(view);
    }

    [Function("EnableWebhook")]
    [EndpointSummary("Turns a disabled endpoint back on (its failure count starts again).")]
    [ProducesResponseType<WebhookView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> EnableAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks/{webhookId}/enable")] HttpRequest req, string webhookId, CancellationToken ct) =>
        await book.EnableAsync(req.HttpContext.Caller().OrganisationId, webhookId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The webhook");

    [Function("DeleteWebhook")]
    [EndpointSummary("Removes an endpoint: nothing more is sent to it.")]
    [ProducesResponseType(StatusCodes.Status204NoContent), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> DeleteAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "webhooks/{webhookId}")] HttpRequest req, string webhookId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        if (!await book.DeleteAsync(caller.OrganisationId, webhookId, ct)) return Problems.NotFound("The webhook");
        await audit.WriteAsync(caller.OrganisationId, caller.SubjectId, "webhook.removed", webhookId, ct);
        return Results.NoContent();
    }
}
