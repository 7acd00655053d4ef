using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Matching.Platform;

/// <summary>
/// The one rule for instants a caller sends, in bodies and in query strings: the offset is said ("Z" or "+01:00"),
/// since one without is ambiguous (whose local time?), and the instant lies in the years the product deals in, so
/// that adding a duration or a deadline to it can never leave the calendar (9999-12-31 is a 400, not a 500).
/// </summary>
public static class Instants
{
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Latest = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public const string Expected = "A date-time with its offset between 2000 and 2099, e.g. 2026-12-07T18:30:00+01:00 or 2026-12-07T17:30:00Z.";

    public static bool InRange(DateTimeOffset value) => value >= Earliest && value < Latest;

    public static bool InRange(DateOnly value) => value.Year is >= 2000 and < 2100;

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null && HasOffset(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value) && InRange(value);
    }

    private static bool HasOffset(string text)
    {
        var t = text.IndexOfAny(['T', 't']);
        if (t < 0) return false;
        var time = text.AsSpan(t + 1);
        return time.EndsWith("Z", StringComparison.OrdinalIgnoreCase) || time.Contains('+') || time.Contains('-');
    }
}

/// <summary>Reads a body's date-times by the <see cref="Instants"/> rule: a refused one is a 400 naming the field.</summary>
public sealed class OffsetRequiredConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("A date-time is a string.");
        if (!Instants.TryParse(reader.GetString(), out var value)) throw new JsonException(Instants.Expected);
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
