using System.Security.Cryptography;
using System.Text;

namespace Matching.Pages;

/// <summary>
/// The pages' one small stylesheet (Pages/Assets/matching.css, in the assembly), written into each page's head: on a
/// slow phone network every request is a round trip of up to two seconds, and a separate file would hold the first
/// paint back by one (1.3 KB compressed is cheaper than that). The content security policy allows exactly this text,
/// by its hash.
/// </summary>
public static class Stylesheet
{
    public static string Text { get; } = Read();

    /// <summary>The CSP source that allows the inline stylesheet and nothing else.</summary>
    public static string CspSource { get; } = $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Text)))}'";

    private static string Read()
    {
        using var stream = typeof(Stylesheet).Assembly.GetManifestResourceStream("Matching.Pages.matching.css")
            ?? throw new InvalidOperationException("The stylesheet is not in the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
