using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// A small OpenID provider over real HTTP on a free loopback port (issue 21, item 3): a discovery document and a JWKS of
/// RSA keys, as Entra ID and Entra External ID publish them, so that the app's production validation path (authority,
/// issuer, audience, signing keys fetched and refreshed on rotation, expiry) runs in tests exactly as on Azure. It
/// counts the JWKS fetches, so that a test can see the app refresh its keys.
/// </summary>
public sealed class OidcIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<RsaSecurityKey> _published = [];
    private RsaSecurityKey _current;
    private int _keyFetches;

    public string Authority { get; private set; } = "";

    /// <summary>How many times the JWKS was fetched.</summary>
    public int KeyFetches => Volatile.Read(ref _keyFetches);

    private OidcIssuer(WebApplication app)
    {
        _app = app;
        _current = NewKey();
        _published.Add(_current);
    }

    public static async Task<OidcIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0"); // the port is the system's choice: no race for a free one
        builder.Logging.ClearProviders();
        // Its own hosting source and listener: the app's telemetry tests listen to "Microsoft.AspNetCore" process-wide,
        // and this server's requests (the app fetching keys) are not the app's.
        builder.Services.AddSingleton(new System.Diagnostics.ActivitySource("Matching.Tests.OidcIssuer"));
        builder.Services.AddSingleton(new System.Diagnostics.DiagnosticListener("Matching.Tests.OidcIssuer"));
        var app = builder.Build();
        var issuer = new OidcIssuer(app);
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = issuer.Authority,
            ["jwks_uri"] = $"{issuer.Authority}/discovery/keys",
            ["authorization_endpoint"] = $"{issuer.Authority}/authorize",
            ["token_endpoint"] = $"{issuer.Authority}/token",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "pairwise" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        app.MapGet("/discovery/keys", () =>
        {
            Interlocked.Increment(ref issuer._keyFetches);
            lock (issuer._published)
                return Results.Json(new { keys = issuer._published.Select(k => JsonWebKeyConverter.ConvertFromRSASecurityKey(PublicOnly(k))).Select(Jwk).ToArray() });
        });
        await app.StartAsync();
        issuer.Authority = app.Urls.Single().TrimEnd('/');
        return issuer;
    }

    /// <summary>A token as the provider issues it: RS256 with the current key, this issuer, the given audience and claims.</summary>
    public string Mint(IEnumerable<Claim> claims, string audience, TimeSpan? lifetime = null, string? issuer = null, DateTime? notBefore = null,
        RsaSecurityKey? key = null)
    {
        var from = notBefore ?? DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Authority,
            Audience = audience,
            IssuedAt = from,
            NotBefore = from,
            Expires = from + (lifetime ?? TimeSpan.FromMinutes(30)),
            Subject = new ClaimsIdentity(claims),
            SigningCredentials = new SigningCredentials(key ?? _current, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>Key rotation: a new signing key is published beside the old one and signs from now on.</summary>
    public void Rotate()
    {
        var next = NewKey();
        lock (_published) _published.Add(next);
        _current = next;
    }

    /// <summary>A key of the right shape that this issuer never published (a forger's).</summary>
    public static RsaSecurityKey Unpublished() => NewKey();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static RsaSecurityKey NewKey() => new(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };

    private static RsaSecurityKey PublicOnly(RsaSecurityKey key) => new(key.Rsa.ExportParameters(includePrivateParameters: false)) { KeyId = key.KeyId };

    private static Dictionary<string, string> Jwk(JsonWebKey k) => new()
    {
        ["kty"] = k.Kty, ["use"] = "sig", ["alg"] = "RS256", ["kid"] = k.Kid, ["n"] = k.N, ["e"] = k.E,
    };
}
