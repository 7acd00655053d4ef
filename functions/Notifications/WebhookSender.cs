using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure;
using Azure.Data.Tables;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Matching.Security;
using Matching.Storage;

using Microsoft.AspNetCore.Mvc;

namespace Matching.Notifications;

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
