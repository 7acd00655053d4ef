using Azure.Storage.Blobs;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace Matching.Pages;

public static class PagesModule
{

    /// <summary>What the pages need: anti-forgery tokens on every form, protected by keys every instance shares; sign-in with
    /// OpenID Connect (authorization code with PKCE) at <c>Pages:SignIn:Authority</c>, then a session cookie.</summary>
    public static IServiceCollection AddPages(this IServiceCollection services, IConfiguration configuration)
    {
        var authentication = services.AddAuthentication();
        authentication.AddCookie(PageSessions.CookieScheme, o =>
        {
            o.Cookie.Name = PageSessions.Cookie;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax; // it comes along when a person follows a link in a mail
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure on Azure, which is HTTPS only
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = PageSessions.Sliding;
            // The page gate decides what a missing session means (sign in, then back): never the handler's own redirect.
            o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
            o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
        });
        if (configuration["Pages:SignIn:Authority"] is { Length: > 0 } authority)
            authentication.AddOpenIdConnect(PageSessions.SignInScheme, o =>
            {
                o.Authority = authority;
                o.ClientId = configuration["Pages:SignIn:ClientId"] ?? throw new InvalidOperationException("Pages:SignIn:ClientId is required with Pages:SignIn:Authority.");
                o.ClientSecret = configuration["Pages:SignIn:ClientSecret"] is { Length: > 0 } secret ? secret : null;
                o.ResponseType = "code";
                o.UsePkce = true;
                o.ResponseMode = "query"; // the answer comes back by a GET: the cookies it needs are SameSite=Lax, not None
                o.CallbackPath = PageSessions.CallbackPath;
                o.SignInScheme = PageSessions.CookieScheme;
                o.Scope.Add("email");
                o.MapInboundClaims = false;
                o.ClaimActions.Remove("iss"); // who the person is: the issuer with the subject (Organisations' Person)
                o.SaveTokens = false; // the session holds who, not the provider's tokens
                o.RequireHttpsMetadata = authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.TokenValidationParameters.NameClaimType = "name";
                // A sign-in that fails at the provider or on the way back is said on a page, not thrown. (The local host's
                // authentication middleware may answer the callback before the function does: a redirect works in both.)
                o.Events.OnRemoteFailure = c =>
                {
                    c.Response.Redirect("/signin?failed=1");
                    c.HandleResponse();
                    return Task.CompletedTask;
                };
            });
        services.AddBlobContainer(BlobKeyRing.Container);
        services.AddDataProtection().SetApplicationName("matching");
        services.AddOptions<KeyManagementOptions>().Configure<BlobServiceClient>((o, blobs) =>
            o.XmlRepository = new BlobKeyRing(blobs.GetBlobContainerClient(BlobKeyRing.Container)));
        // The framework reads the key ring at start (a hosted service, synchronous storage calls on a cold start's path):
        // here it is read when the first page needs it.
        foreach (var primer in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DataProtectionHostedService").ToList())
            services.Remove(primer);
        services.AddAntiforgery(o =>
        {
            o.FormFieldName = "_form";
            o.Cookie.Name = "matching-form";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SuppressXFrameOptionsHeader = true; // the gate sends its own, stricter (DENY)
        });
        // French as it is written (é, not &#xE9;): smaller pages, and text a person can read in the source.
        services.AddSingleton(System.Text.Encodings.Web.HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All));
        services.AddSingleton<Learner.LearnerHomeData>().AddSingleton<Security.LearnerLinks>();
        return services;
    }
}
