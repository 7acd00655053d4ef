namespace Matching.Security;

/// <summary>
/// How a person signed in to the pages is known: OpenID Connect (authorization code with PKCE) at the configured
/// provider (Entra External ID on Azure, the local provider in tools/oidc-provider here), then a session cookie that
/// holds who they are (the provider's issuer and subject) and nothing else; their memberships decide the rest, on every
/// page, as for the API.
/// </summary>
public static class PageSessions
{
    public const string CookieScheme = "matching-session";
    public const string SignInScheme = "matching-signin";
    public const string Cookie = "matching-session";

    /// <summary>Which of their organisations a person acts in, when they belong to several (a cookie they choose on /moi).</summary>
    public const string OrganisationCookie = "matching-org";

    /// <summary>Where the provider sends the person back with the code.</summary>
    public const string CallbackPath = "/signin-oidc";

    public static readonly TimeSpan Sliding = TimeSpan.FromHours(8);

    /// <summary>Acts in this organisation from now on (the person's choice, or the one they just joined).</summary>
    public static void ChooseOrganisation(HttpContext http, string organisationId) =>
        http.Response.Cookies.Append(OrganisationCookie, organisationId, new CookieOptions
        {
            HttpOnly = true, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Lax, Path = "/", IsEssential = true,
        });
}
