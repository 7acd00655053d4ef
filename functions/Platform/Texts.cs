using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

[assembly: Microsoft.Extensions.Localization.RootNamespace("Matching")]

namespace Matching;

/// <summary>
/// Every text a person reads, in <c>Resources/Texts.resx</c> (English) and <c>Texts.fr.resx</c> (French), read through
/// <see cref="Microsoft.Extensions.Localization.IStringLocalizer{Texts}"/> in the current UI culture. People are
/// French by default; an API caller chooses with <c>Accept-Language</c>, a person's mail follows their preferences.
/// Operators' logs stay in English (they never go through these texts).
/// </summary>
public sealed partial class Texts
{
    public static readonly CultureInfo French = CultureInfo.GetCultureInfo("fr"), English = CultureInfo.GetCultureInfo("en");

    /// <summary>The languages people are written to in, the default first. A third language is added here and by its
    /// <c>Resources/Texts.{code}.resx</c>; what a person may choose, the caller's header and the catalogue's words follow.</summary>
    public static readonly IReadOnlyList<CultureInfo> Cultures = [French, English];

    /// <summary>The two-letter codes of <see cref="Cultures"/>.</summary>
    public static IReadOnlyList<string> Languages { get; } = Cultures.Select(c => c.TwoLetterISOLanguageName).ToArray();

    /// <summary>The language of the current UI culture, as the texts know it (the default when it is none of them).</summary>
    public static string Language => CultureOf(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName).TwoLetterISOLanguageName;

    public static CultureInfo CultureOf(string? language) => Cultures.FirstOrDefault(c => c.TwoLetterISOLanguageName == language) ?? Cultures[0];

    /// <summary>
    /// For texts written in English where they are decided (a problem's title, a field's message): the English text is
    /// the key, and its French is in the resources. A text without a translation stays as it is.
    /// </summary>
    public static string Localize(string? english) => english is null ? "" : Shared[english].Value;

    /// <summary><see cref="Localize"/> of a pattern (<c>{0} was not found.</c>), its arguments localised too.</summary>
    public static string Format(string englishPattern, params object[] args) =>
        string.Format(CultureInfo.CurrentUICulture, Localize(englishPattern), args.Select(a => a is string s ? Localize(s) : a).ToArray());

    /// <summary>
    /// <see cref="Localize"/> for a text a person is about to read in a problem (its title, detail or a field's message).
    /// A text left in English for a French reader is kept in <see cref="Untranslated"/>; one that is French already (a
    /// translation, or a pattern formatted by <see cref="Format"/>) is not looked for.
    /// </summary>
    public static string ForReader(string text)
    {
        var found = Shared[text];
        if (found.ResourceNotFound && Language == "fr" && Missing.Count < 1000 && !FrenchTexts.Value.IsMatch(text)) Missing.TryAdd(text, 0);
        return found.Value;
    }

    /// <summary>English texts a French reader was given because they have no translation: the tests require none.</summary>
    public static IReadOnlyCollection<string> Untranslated => [.. Missing.Keys];

    private static readonly ConcurrentDictionary<string, byte> Missing = new();

    /// <summary>Every French text, its patterns' placeholders matching any value; read only when a lookup has missed.</summary>
    private static readonly Lazy<Regex> FrenchTexts = new(() => new Regex(
        "^(?:" + string.Join("|", new System.Resources.ResourceManager("Matching.Resources.Texts", typeof(Texts).Assembly)
            .GetResourceSet(French, createIfNotExists: true, tryParents: false)!.Cast<System.Collections.DictionaryEntry>()
            .Select(e => PlaceholderPattern().Replace(Regex.Escape((string)e.Value!), ".*"))) + ")$", RegexOptions.Singleline));

    [GeneratedRegex(@"\\\{\d+}")]
    private static partial Regex PlaceholderPattern();

    /// <summary>One localizer for the code that has no services at hand (problems, validation); the same resources as the injected one.</summary>
    private static readonly IStringLocalizer Shared = new ResourceManagerStringLocalizerFactory(
        Options.Create(new LocalizationOptions { ResourcesPath = "Resources" }), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).Create(typeof(Texts));

    /// <summary>The caller's preferred language among French and English (<c>Accept-Language</c> with its weights), French when none.</summary>
    public static CultureInfo FromAcceptLanguage(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || !StringWithQualityHeaderValue.TryParseList([header], out var values)) return Cultures[0];
        foreach (var v in values.Where(v => v.Quality is null or > 0).OrderByDescending(v => v.Quality ?? 1))
        {
            var tag = v.Value.Value ?? "";
            if (Cultures.FirstOrDefault(c => tag.StartsWith(c.TwoLetterISOLanguageName, StringComparison.OrdinalIgnoreCase)) is { } culture) return culture;
        }
        return Cultures[0];
    }

    /// <summary>Runs <paramref name="work"/> with its texts in <paramref name="culture"/> (a mail in its reader's language).</summary>
    public static T In<T>(CultureInfo culture, Func<T> work)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = culture;
        try { return work(); }
        finally { CultureInfo.CurrentUICulture = before; }
    }

    /// <summary>The same for work that awaits (the culture flows with it, and is given back after).</summary>
    public static async Task<T> InAsync<T>(CultureInfo culture, Func<Task<T>> work)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = culture;
        try { return await work(); }
        finally { CultureInfo.CurrentUICulture = before; }
    }
}
