using System.Net;
using AngleSharp.Html.Parser;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// The local OpenID provider scripts/run.sh starts (tools/oidc-provider: oidc-provider, OpenID Certified), one per test
/// process on a free port, its client's redirect address the test server's. <see cref="SignInAsync"/> signs a person in
/// as a browser does: the app sends them to the provider, they type their name in its form, the provider sends them back
/// with a code, and the app checks it (state, nonce, PKCE) and opens the session.
/// </summary>
public sealed class OidcProvider
{
    private static readonly Lazy<OidcProvider> Instance = new(Start);

    public static OidcProvider Shared => Instance.Value;

    public int Port { get; private init; }

    public string Issuer => $"http://localhost:{Port}";

    public const string ClientId = "matching-local";

    /// <summary>The app's settings that sign its pages in here.</summary>
    public Dictionary<string, string?> Settings => new() { ["Pages:SignIn:Authority"] = Issuer, ["Pages:SignIn:ClientId"] = ClientId };

    /// <summary>Makes the provider's person <paramref name="name"/> a member of a new organisation, through an invitation they accept: their person id.</summary>
    public async Task<string> MemberAsync(MatchingApp app, string name, string org, Matching.Organisations.OrganisationKind kind, Matching.Security.Role role)
    {
        var directory = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Matching.Organisations.OrganisationDirectory>(app.Services);
        await directory.CreateAsync(new Matching.Organisations.OrganisationInput(org, $"Organisation {org}", kind), "test", CancellationToken.None);
        var invitation = await directory.InviteAsync(org, new Matching.Organisations.InvitationInput($"{name}@example.org", role), "test", CancellationToken.None);
        var person = new Matching.Organisations.Person(Issuer, name).Id;
        Assert.Equal(Matching.Organisations.OrganisationDirectory.AcceptOutcome.Accepted, (await directory.AcceptAsync(invitation.Token!, person, CancellationToken.None)).Outcome);
        return person;
    }

    /// <summary>Opens <paramref name="path"/> signed in as <paramref name="name"/>: the page it lands on.</summary>
    public async Task<PageClient.Page> SignInAsync(PageClient app, string name, string path = "/moi")
    {
        var page = await app.GetAsync(path);
        Assert.Equal(HttpStatusCode.SeeOther, page.Status); // no session: to sign-in, then back
        page = await app.GetAsync(page.Response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, page.Status); // the challenge: to the provider
        var next = page.Response.Headers.Location!;
        Assert.Equal(Port, next.Port);
        // The request itself was pushed to the provider first (PAR: only its reference travels through the browser); the
        // provider requires PKCE of this client, so a sign-in that comes back proves the code challenge was sent.
        Assert.True(next.Query.Contains("request_uri=", StringComparison.Ordinal) || next.Query.Contains("code_challenge_method=S256", StringComparison.Ordinal), next.Query);

        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() });
        var response = await browser.GetAsync(next);
        for (var hops = 0; hops < 10; hops++)
        {
            if (response.Headers.Location is { } location)
            {
                var target = location.IsAbsoluteUri ? location : new Uri(new Uri(Issuer), location);
                if (target.Port != Port) // back to the app, with the code
                {
                    var landed = await app.GetAsync(target.PathAndQuery);
                    Assert.Equal(HttpStatusCode.Redirect, landed.Status);
                    return await app.GetAsync(landed.Response.Headers.Location!.OriginalString);
                }
                response = await browser.GetAsync(target);
                continue;
            }
            // The provider's sign-in form: a name (any), a password (any).
            var form = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync()).QuerySelector("form")
                ?? throw new Xunit.Sdk.XunitException($"The provider answered {(int)response.StatusCode} without a form.");
            var fields = form.QuerySelectorAll("input[name]").Select(i => new KeyValuePair<string, string>(i.GetAttribute("name")!,
                i.GetAttribute("name") switch { "login" => name, "password" => "any", _ => i.GetAttribute("value") ?? "" })).ToList();
            response = await browser.PostAsync(new Uri(new Uri(Issuer), form.GetAttribute("action")), new FormUrlEncodedContent(fields));
        }
        throw new Xunit.Sdk.XunitException("Sign-in did not come back to the app.");
    }

    /// <summary>The port kept for the one browser test that signs in through Chromium: the app listens there on Kestrel,
    /// and the provider knows its address (a client's redirect addresses are registered in advance, as on Entra).</summary>
    public int BrowserPort { get; private init; }

    private static OidcProvider Start()
    {
        var provider = new OidcProvider { Port = Azurite.FreePort(), BrowserPort = Azurite.FreePort() };
        NodeTool.Start("The OpenID provider", Path.Combine("tools", "oidc-provider", "provider.mjs"), provider.Port,
            new Dictionary<string, string> { ["OIDC_REDIRECT_URIS"] = $"http://localhost/signin-oidc,http://127.0.0.1:{provider.BrowserPort}/signin-oidc" });
        return provider;
    }
}
