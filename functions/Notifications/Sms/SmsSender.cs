using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Matching.Notifications.Sms;

/// <summary>A text that was not sent: <see cref="Permanent"/> when trying again cannot help (a refused number, bad credentials).</summary>
public sealed class SmsNotSentException(string message, bool permanent) : Exception(message)
{
    public bool Permanent { get; } = permanent;
}

/// <summary>
/// Sends a text through the REST API of Azure Communication Services SMS (its .NET SDK is not available here), signing
/// each request with HMAC-SHA256 over the method, path and query, date, host and body hash, as the service requires.
/// Never logs the number or the text.
/// </summary>
public sealed class SmsSender(IHttpClientFactory factory, SmsSettings settings, TimeProvider time)
{
    public const string HttpClientName = "sms";
    public const string ApiVersion = "2021-03-07";
    public const int MaxSegments = 2;

    public bool Configured => settings.Configured;

    private sealed record Recipient([property: JsonPropertyName("to")] string To);

    private sealed record Options([property: JsonPropertyName("enableDeliveryReport")] bool EnableDeliveryReport);

    private sealed record SendRequest(
        [property: JsonPropertyName("from")] string From,
        [property: JsonPropertyName("smsRecipients")] IReadOnlyList<Recipient> SmsRecipients,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("smsSendOptions")] Options SmsSendOptions);

    private sealed record SendResult(
        [property: JsonPropertyName("successful")] bool Successful,
        [property: JsonPropertyName("httpStatusCode")] int HttpStatusCode,
        [property: JsonPropertyName("errorMessage")] string? ErrorMessage);

    private sealed record SendResponse([property: JsonPropertyName("value")] IReadOnlyList<SendResult>? Value);

    /// <summary>Sends <paramref name="text"/> (GSM-7 and at most <see cref="MaxSegments"/> segments, or refused) to a number in E.164.</summary>
    public async Task SendAsync(string to, string text, CancellationToken ct)
    {
        if (!settings.Configured) throw new SmsNotSentException("No SMS service is configured.", permanent: true);
        if (!Gsm7.IsGsm7(text) || Gsm7.Segments(text) > MaxSegments)
            throw new SmsNotSentException($"The text takes {Gsm7.Segments(text)} segments or leaves GSM-7.", permanent: true);
        var body = JsonSerializer.SerializeToUtf8Bytes(new SendRequest(settings.From!, [new Recipient(to)], text, new Options(false)));
        var uri = new Uri(settings.Endpoint!, $"sms?api-version={ApiVersion}");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        Sign(request, uri, body, settings.AccessKey!, time.GetUtcNow());
        HttpResponseMessage response;
        try { response = await factory.CreateClient(HttpClientName).SendAsync(request, ct); }
        catch (HttpRequestException ex) { throw new SmsNotSentException($"The SMS service did not answer: {ex.HttpRequestError}.", permanent: false); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { throw new SmsNotSentException("The SMS service did not answer in time.", permanent: false); }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
                throw new SmsNotSentException($"The SMS service answered {(int)response.StatusCode}.", permanent: false);
            if (!response.IsSuccessStatusCode)
                throw new SmsNotSentException($"The SMS service refused the text ({(int)response.StatusCode}).", permanent: true);
            var result = (await response.Content.ReadFromJsonAsync<SendResponse>(ct))?.Value?.FirstOrDefault();
            if (result is not { Successful: true })
                throw new SmsNotSentException($"The SMS service did not send the text ({result?.HttpStatusCode}).", permanent: result?.HttpStatusCode is >= 400 and < 500);
        }
    }

    /// <summary>Azure Communication Services' HMAC-SHA256 request signature.</summary>
    public static void Sign(HttpRequestMessage request, Uri uri, byte[] body, byte[] key, DateTimeOffset now)
    {
        var date = now.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);
        var contentHash = Convert.ToBase64String(SHA256.HashData(body));
        var stringToSign = $"{request.Method.Method.ToUpperInvariant()}\n{uri.PathAndQuery}\n{date};{uri.Authority};{contentHash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        request.Headers.Add("x-ms-date", date);
        request.Headers.Add("x-ms-content-sha256", contentHash);
        request.Headers.TryAddWithoutValidation("Authorization", $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}");
    }
}
