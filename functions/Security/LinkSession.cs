namespace Matching.Security;

/// <summary>
/// The session a learner's personal link opens on their phone: a cookie holding the link itself, so that the session is
/// exactly as valid as the link (revoked, expired or erased with it, checked on every page) and nothing more is stored.
/// HttpOnly (no script reads it), Secure over HTTPS, SameSite=Lax (it comes along when the learner follows a link in an SMS).
/// </summary>
public static class LinkSession
{
    /// <summary>How a learner's link session proves its caller (the identity's authentication type).</summary>
    public const string How = "link-session";

    public const string Cookie = "matching-learner";

    /// <summary>How long the cookie lasts without a visit: each page seen renews it (the link itself still ends after 30 days).</summary>
    public static readonly TimeSpan Sliding = TimeSpan.FromDays(14);

    /// <summary>
    /// The link, and whose it said it was when the session opened (organisation and learner: not secret, and only a hint,
    /// checked against the link's own row), so that the link and the learner's row are read together, not one after the other.
    /// </summary>
    public static (string Link, Caller? Hint)? Read(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(Cookie, out var value) || !value.StartsWith(IAccessLinks.Prefix, StringComparison.Ordinal)) return null;
        return value.Split('~') is [var link, var org, var learner] && Caller.IsOrganisationId(org) && learner is { Length: 32 } && learner.All(char.IsAsciiHexDigitLower)
            ? (link, new Caller(learner, Role.Learner, org))
            : (value.Split('~')[0], null);
    }

    public static void Write(HttpContext http, string link, Caller learner, DateTimeOffset now) =>
        http.Response.Cookies.Append(Cookie, $"{link}~{learner.OrganisationId}~{learner.SubjectId}", Options(http, now + Sliding));

    public static void Clear(HttpContext http) => http.Response.Cookies.Delete(Cookie, Options(http, null));

    private static CookieOptions Options(HttpContext http, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        Secure = http.Request.IsHttps,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}

/// <summary>A learner's link, checked as every caller is: known, not expired or revoked, and its learner not erased since.</summary>
public sealed class LearnerLinks(IAccessLinks links, IEnumerable<ICallerCheck> checks)
{
    /// <param name="hint">Whose the link was said to be (a session's cookie): then the link and the checks run together,
    /// and the link must name exactly that learner.</param>
    public async Task<Caller?> ResolveAsync(string link, CancellationToken ct, Caller? hint = null)
    {
        if (hint is not null)
        {
            var resolving = links.ResolveAsync(link, ct);
            var passing = PassesAsync(hint, ct);
            return await resolving == hint && await passing ? hint : null;
        }
        return await links.ResolveAsync(link, ct) is { } learner && await PassesAsync(learner, ct) ? learner : null;
    }

    private async Task<bool> PassesAsync(Caller learner, CancellationToken ct)
    {
        foreach (var check in checks)
            if (await check.RefusalAsync(learner, null, ct) is not null) return false;
        return true;
    }
}
