using System.Globalization;
using Microsoft.Net.Http.Headers;

[assembly: Microsoft.Extensions.Localization.RootNamespace("Matching")]

namespace Matching;

/// <summary>
/// Every text a person reads, in <c>Resources/Texts.resx</c> (English) and <c>Texts.fr.resx</c> (French), read through
/// <see cref="Microsoft.Extensions.Localization.IStringLocalizer{Texts}"/> in the current UI culture. People are
/// French by default; an API caller chooses with <c>Accept-Language</c>, a person's mail follows their preferences.
/// Operators' logs stay in English (they never go through these texts).
/// </summary>
public sealed class Texts
{
    public static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr"), English = CultureInfo.GetCultureInfo("en");

    /// <summary>The language of the current UI culture, as the texts know it: <c>fr</c> or <c>en</c>.</summary>
    public static string Language => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "en" ? "en" : "fr";

    public static CultureInfo CultureOf(string? language) => language == "en" ? English : French;

    /// <summary>The caller's preferred language among French and English (<c>Accept-Language</c> with its weights), French when none.</summary>
    public static CultureInfo FromAcceptLanguage(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || !StringWithQualityHeaderValue.TryParseList([header], out var values)) return French;
        foreach (var v in values.Where(v => v.Quality is null or > 0).OrderByDescending(v => v.Quality ?? 1))
        {
            var tag = v.Value.Value ?? "";
            if (tag.StartsWith("fr", StringComparison.OrdinalIgnoreCase)) return French;
            if (tag.StartsWith("en", StringComparison.OrdinalIgnoreCase)) return English;
        }
        return French;
    }

    /// <summary>Runs <paramref name="work"/>'s texts in <paramref name="culture"/> (the UI culture flows with the async call).</summary>
    public static async Task<T> InAsync<T>(CultureInfo culture, Func<Task<T>> work)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = culture;
        try { return await work(); }
        finally { CultureInfo.CurrentUICulture = before; }
    }
}
