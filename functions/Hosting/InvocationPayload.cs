using System.Globalization;
using System.Text.Json;

namespace Matching.Hosting;

/// <summary>
/// Decodes the custom-handler invocation payload (<c>{"Data":{...},"Metadata":{...}}</c>) defensively:
/// hosts have been seen to JSON-encode a text message twice, to send DequeueCount as a string or a
/// number, and to leave quotes around Id and PopReceipt.
/// </summary>
public static class InvocationPayload
{
    public const string QueueBindingName = "msg";
    public const string TimerBindingName = "timer";

    public static QueueMessage ReadQueueMessage(JsonElement payload)
    {
        var data = Property(payload, "Data") ?? throw new InvalidInvocationException("The payload has no 'Data'.");
        var message = Property(data, QueueBindingName)
            ?? throw new InvalidInvocationException($"The payload has no 'Data.{QueueBindingName}'.");
        var metadata = Property(payload, "Metadata");

        var body = message.ValueKind switch
        {
            JsonValueKind.String => Unwrap(message.GetString()!),
            JsonValueKind.Object or JsonValueKind.Array => message.GetRawText(),
            _ => throw new InvalidInvocationException($"'Data.{QueueBindingName}' must be a string or an object."),
        };

        var id = metadata is { } m && Property(m, "Id") is { } idElement ? StripQuotes(AsText(idElement)) : "";
        var dequeueCount = metadata is { } m2 && Property(m2, "DequeueCount") is { } dc ? ReadCount(dc) : 1;
        DateTimeOffset? inserted = metadata is { } m3 && Property(m3, "InsertionTime") is { ValueKind: JsonValueKind.String } it
            && DateTimeOffset.TryParse(StripQuotes(it.GetString()!), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t : null;
        return new QueueMessage(id, body, dequeueCount, inserted);
    }

    public static TimerInfo ReadTimer(JsonElement payload)
    {
        var data = Property(payload, "Data") ?? throw new InvalidInvocationException("The payload has no 'Data'.");
        var timer = Property(data, TimerBindingName);
        if (timer is { ValueKind: JsonValueKind.String } s) timer = JsonDocument.Parse(Unwrap(s.GetString()!)).RootElement;
        if (timer is not { ValueKind: JsonValueKind.Object } t) return new TimerInfo(false, null, null);
        var pastDue = Property(t, "IsPastDue") is { ValueKind: JsonValueKind.True };
        var status = Property(t, "ScheduleStatus");
        return new TimerInfo(pastDue, ReadDate(status, "Last"), ReadDate(status, "Next"));
    }

    /// <summary>A queue text may arrive encoded once more as a JSON string; decode until it is not.</summary>
    private static string Unwrap(string text)
    {
        for (var i = 0; i < 3 && text.Length > 1 && text[0] == '"'; i++)
        {
            try { text = JsonSerializer.Deserialize<string>(text) ?? ""; }
            catch (JsonException) { break; }
        }
        return text;
    }

    private static long ReadCount(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt64(out var n) => n,
        JsonValueKind.String when long.TryParse(StripQuotes(e.GetString()!), CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new InvalidInvocationException("'Metadata.DequeueCount' must be a whole number."),
    };

    private static DateTimeOffset? ReadDate(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && Property(p, name) is { ValueKind: JsonValueKind.String } v
        && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;

    private static string AsText(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();

    private static string StripQuotes(string s) => s.Trim().Trim('"');

    private static JsonElement? Property(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        foreach (var p in e.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }
}

public sealed class InvalidInvocationException(string message) : Exception(message);
