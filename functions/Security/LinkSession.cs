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

    public static string? Read(HttpContext http) =>
        http.Request.Cookies.TryGetValue(Cookie, out var value) && value.StartsWith(IAccessLinks.Prefix, StringComparison.Ordinal) ? value : null;

    public static void Write(HttpContext http, string link, DateTimeOffset now) =>
        http.Response.Cookies.Append(Cookie, link, Options(http, now + Sliding));

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
    public async Task<Caller?> ResolveAsync(string link, CancellationToken ct)
    {
        if (await links.ResolveAsync(link, ct) is not { } learner) return null;
        foreach (var check in checks)
            if (await check.RefusalAsync(learner, null, ct) is not null) return null;
        return learner;
    }
}
