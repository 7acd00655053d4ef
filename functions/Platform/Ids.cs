using System.Security.Cryptography;
using System.Text;

namespace Matching.Platform;

/// <summary>Resource ids: 32 lower-case hex characters, random or derived from what names the resource.</summary>
public static class Ids
{
    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>A mentor's id: derived from their organisation and their token's subject, so it needs no lookup.</summary>
    public static string MentorId(string organisationId, string subject) => Derive(organisationId, subject);

    public static bool IsValid(string? id) => id is { Length: 32 } && id.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// The same parts always give the same id (a retry, a re-upload, the same person): the first 128 bits of the
    /// SHA-256 of the parts joined by newlines.
    /// </summary>
    public static string Derive(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..32];

    /// <summary>A bearer secret (an invitation, an access link): 256 random bits, URL-safe; store only its <see cref="Fingerprint"/>.</summary>
    public static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A full SHA-256 fingerprint, for comparing request bodies and keys without storing them.</summary>
    public static string Fingerprint(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
