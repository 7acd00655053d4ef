using Matching.Organisations;
using Matching.Security;
using Microsoft.AspNetCore.Authentication;

namespace Matching.Pages.Account;

/// <summary>
/// Signing in and out, and a person's own page (<c>/moi</c>): who they are and the organisations they belong to, each
/// with its pages. Sign-in is OpenID Connect with PKCE at the configured provider, then the session cookie
/// (<see cref="PageSessions"/>); a page opened without a session comes here first, then goes back to it.
/// </summary>
public sealed class AccountPages(IAuthenticationHandlerProvider handlers, OrganisationDirectory directory, IConfiguration configuration)
{
    public const string Home = "/moi";

    [Function("SignIn"), Page(PageAccess.Anyone)]
    public async Task<IResult> SignInAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "signin")] HttpRequest req)
    {
        if (string.IsNullOrEmpty(configuration["Pages:SignIn:Authority"]))
            return PageResults.Error(StatusCodes.Status503ServiceUnavailable, "Sign-in is not set up", "Set Pages:SignIn:Authority and Pages:SignIn:ClientId.");
        if (req.Query.ContainsKey("failed"))
            return PageResults.Error(StatusCodes.Status400BadRequest, "Sign-in did not finish", "Try again.", ("/signin", Words.T("Sign in")));
        var back = req.Query["back"].ToString();
        await req.HttpContext.ChallengeAsync(PageSessions.SignInScheme, new AuthenticationProperties { RedirectUri = PageResults.IsLocalPath(back) ? back : Home });
        return Results.Empty; // the challenge answered: to the provider, with the code challenge, state and nonce
    }

    [Function("SignInCallback"), Page(PageAccess.Anyone)]
    public async Task<IResult> CallbackAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "signin-oidc")] HttpRequest req)
    {
        // The handler checks state, nonce and the code's PKCE verifier, signs the person in, and sends them back: a
        // redirect is its success; anything else (a made-up or stale answer, a refusal at the provider) is said on a page.
        if (await handlers.GetHandlerAsync(req.HttpContext, PageSessions.SignInScheme) is not IAuthenticationRequestHandler handler
            || !await handler.HandleRequestAsync() || req.HttpContext.Response.Headers.Location.Count == 0)
            return PageResults.Error(StatusCodes.Status400BadRequest, "Sign-in did not finish", "Try again.", ("/signin", Words.T("Sign in")));
        return Results.Empty;
    }

    [Function("SignOut"), Page(PageAccess.SignedIn)]
    public static async Task<IResult> SignOutAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "signout")] HttpRequest req)
    {
        await req.HttpContext.SignOutAsync(PageSessions.CookieScheme);
        req.HttpContext.Response.Cookies.Delete(PageSessions.OrganisationCookie);
        return PageResults.Error(StatusCodes.Status200OK, "You are signed out", "Close the window, or sign in again.", ("/signin", Words.T("Sign in")));
    }

    [Function("MyAccount"), Page(PageAccess.SignedIn)]
    public async Task<IResult> HomeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "moi")] HttpRequest req, CancellationToken ct)
    {
        var user = req.HttpContext.User;
        var memberships = Person.From(user) is { } person ? await directory.MembershipsOfAsync(person.Id, ct) : [];
        var names = new Dictionary<string, string>();
        foreach (var m in memberships) names[m.OrganisationId] = (await directory.FindAsync(m.OrganisationId, ct))?.Name ?? m.OrganisationId;
        var chosen = req.Cookies.TryGetValue(PageSessions.OrganisationCookie, out var org) ? org : null;
        return PageResults.Show<MyAccountPage>(new Dictionary<string, object>
        {
            ["Name"] = user.FindFirst("name")?.Value ?? "",
            ["Memberships"] = memberships.Select(m => new MyAccountPage.Membership(m.OrganisationId, names[m.OrganisationId], m.Role,
                chosen == m.OrganisationId || memberships.Count == 1)).ToList(),
        });
    }

    /// <summary>Chooses the organisation to act in (for a person who belongs to several), then goes back to their page.</summary>
    [Function("ChooseOrganisation"), Page(PageAccess.SignedIn)]
    public async Task<IResult> ChooseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "moi/organisation")] HttpRequest req, CancellationToken ct)
    {
        var org = (await req.ReadFormAsync(ct))["organisation"].ToString();
        if (Person.From(req.HttpContext.User) is not { } person || (await directory.MembershipsOfAsync(person.Id, ct)).All(m => m.OrganisationId != org))
            return PageResults.Error(StatusCodes.Status404NotFound, "Not found", "You are not a member of this organisation.", (Home, Words.T("My account")));
        PageSessions.ChooseOrganisation(req.HttpContext, org);
        return PageResults.SeeOther(Home);
    }
}
