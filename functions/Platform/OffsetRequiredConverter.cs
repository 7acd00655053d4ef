using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Matching.Platform;

/// <summary>
/// A date-time in a request must say its offset ("Z" or "+01:00"): one without is ambiguous (whose local time?),
/// so it is refused with a 400 naming the field rather than taken as UTC.
/// </summary>
public sealed class OffsetRequiredConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("A date-time is a string.");
        var text = reader.GetString()!;
        if (!HasOffset(text) || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            throw new JsonException("A date-time with its offset, e.g. 2026-12-07T18:30:00+01:00 or 2026-12-07T17:30:00Z.");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    private static bool HasOffset(string text)
    {
        var t = text.IndexOfAny(['T', 't']);
        if (t < 0) return false;
        var time = text.AsSpan(t + 1);
        return time.EndsWith("Z", StringComparison.OrdinalIgnoreCase) || time.Contains('+') || time.Contains('-');
    }
}
