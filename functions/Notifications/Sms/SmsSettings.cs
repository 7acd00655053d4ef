using System.Data.Common;

namespace Matching.Notifications.Sms;

/// <summary>
/// Where texts are sent: an Azure Communication Services resource (<c>Sms:ConnectionString</c>, <c>endpoint=…;accesskey=…</c>,
/// as the portal and Bicep give it) and the sender (<c>Sms:From</c>, a number in E.164 or an alphanumeric sender id).
/// Locally, scripts/run.sh and the tests point it at the SMS sink (tools/sms-sink), which speaks the same API. Without
/// both settings no SMS is sent (deliveries by SMS are skipped, as mail is without a relay).
/// </summary>
public sealed record SmsSettings(Uri? Endpoint, byte[]? AccessKey, string? From)
{
    public bool Configured => Endpoint is not null && AccessKey is not null && From is not null;

    public static SmsSettings Read(IConfiguration configuration)
    {
        var connection = configuration["Sms:ConnectionString"];
        var from = configuration["Sms:From"] is { Length: > 0 } f ? f : null;
        if (string.IsNullOrWhiteSpace(connection)) return new SmsSettings(null, null, from);
        var parts = new DbConnectionStringBuilder { ConnectionString = connection };
        if (!parts.TryGetValue("endpoint", out var e) || !Uri.TryCreate(e as string, UriKind.Absolute, out var endpoint)
            || endpoint.Scheme is not ("https" or "http"))
            throw new InvalidOperationException("Sms:ConnectionString needs endpoint=https://…/ (an Azure Communication Services resource).");
        byte[] key;
        try { key = Convert.FromBase64String(parts.TryGetValue("accesskey", out var k) ? k as string ?? "" : ""); }
        catch (FormatException) { throw new InvalidOperationException("Sms:ConnectionString needs accesskey=… in base64."); }
        if (key.Length == 0) throw new InvalidOperationException("Sms:ConnectionString needs accesskey=… in base64.");
        if (from is null || !(from.StartsWith('+') && from.Length is >= 8 and <= 16 && from[1..].All(char.IsAsciiDigit)
                              || from.Length is >= 1 and <= 11 && from.All(char.IsAsciiLetterOrDigit) && from.Any(char.IsAsciiLetter)))
            throw new InvalidOperationException("Sms:From needs a number in E.164 (+33…) or a sender id of 1 to 11 letters and digits, with a letter.");
        return new SmsSettings(endpoint, key, from);
    }
}
