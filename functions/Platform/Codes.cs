using System.Text.RegularExpressions;

namespace Matching.Platform;

/// <summary>The French and European codes the API accepts, checked in one place.</summary>
public static partial class Codes
{
    /// <summary>A ROME occupation code: a letter A-N and four digits, e.g. M1805.</summary>
    public static bool IsRome(string? code) => code is not null && Rome().IsMatch(code);

    /// <summary>A FORMACODE subject code: five digits, e.g. 15235.</summary>
    public static bool IsFormacode(string? code) => code is not null && Formacode().IsMatch(code);

    /// <summary>An INSEE commune code: five characters, Corsica included (2A/2B), e.g. 75056 or 2A004.</summary>
    public static bool IsInsee(string? code) => code is not null && Insee().IsMatch(code);

    /// <summary>An ESCO concept URI.</summary>
    public static bool IsEsco(string? uri) => uri is { Length: <= 300 } && uri.StartsWith("http://data.europa.eu/esco/", StringComparison.Ordinal);

    [GeneratedRegex("^[A-N][0-9]{4}$")] private static partial Regex Rome();
    [GeneratedRegex("^[0-9]{5}$")] private static partial Regex Formacode();
    [GeneratedRegex("^([0-9]{5}|2[AB][0-9]{3})$")] private static partial Regex Insee();
}
