using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Matching.FunctionalTests;

/// <summary>
/// Issue 21, item 3: the production validation path, against a real OpenID provider over HTTP (<see cref="OidcIssuer"/>)
/// instead of the development key. The app is given only the authority and the audience, as on Azure; it fetches the
/// discovery document and the keys itself, refreshes them when the provider rotates its key, and refuses a token of
/// another issuer, for another audience, expired, signed with a key the provider never published, or signed with the
/// development key (which no longer counts once an authority is set).
/// </summary>
public sealed class OidcTests : IAsyncLifetime
{
    private const string Audience = "api://matching-tests";
    private Azurite _azurite = null!;
    private OidcIssuer _issuer = null!;
    private MatchingApp _app = null!;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync();
        _issuer = await OidcIssuer.StartAsync();
        _app = new MatchingApp(_azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Matching:HostJsonPath"] = MatchingApp.FastHostJson(),
            ["Auth:Authority"] = _issuer.Authority,
            ["Auth:Audience"] = Audience,
        });
        _ = _app.Server;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _issuer.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    private static Claim[] Ngo(string org = "oidc-ngo") =>
        [new(Caller.SubjectClaim, $"person-{Guid.NewGuid():N}"), new(Caller.RoleClaim, "ngo"), new(Caller.OrganisationClaim, org)];

    private async Task<HttpStatusCode> BrowseAsync(string token)
    {
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await client.GetAsync("/api/offers")).StatusCode;
    }

    [Fact]
    public async Task A_token_of_the_configured_provider_is_accepted_through_its_published_keys()
    {
        Assert.Equal(HttpStatusCode.OK, await BrowseAsync(_issuer.Mint(Ngo(), Audience)));
        Assert.True(_issuer.KeyFetches >= 1, "the app fetched the provider's keys itself");
        using var anonymous = _app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/offers")).StatusCode);
    }

    [Fact]
    public async Task Tokens_for_another_audience_from_another_issuer_expired_or_forged_are_401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(_issuer.Mint(Ngo(), "api://another-app")));
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(_issuer.Mint(Ngo(), Audience, issuer: "https://login.example.org/other/v2.0")));
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(_issuer.Mint(Ngo(), Audience, lifetime: TimeSpan.FromMinutes(5), notBefore: DateTime.UtcNow.AddHours(-1))));
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(_issuer.Mint(Ngo(), Audience, key: OidcIssuer.Unpublished())));
        // Still valid from the provider, so the refusals above were the token's doing.
        Assert.Equal(HttpStatusCode.OK, await BrowseAsync(_issuer.Mint(Ngo(), Audience)));
    }

    [Fact]
    public async Task The_development_key_no_longer_signs_for_anyone_once_an_authority_is_set()
    {
        Assert.Null(_app.Services.GetRequiredService<AuthSettings>().DevelopmentKey);
        var devKey = _app.Services.GetRequiredService<IConfiguration>()["Auth:DevelopmentSigningKey"];
        Assert.False(string.IsNullOrEmpty(devKey)); // the Development settings still carry it: it is the authority that turns it off
        var now = DateTime.UtcNow;
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthSetup.DevelopmentIssuer, Audience = Audience, IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(30),
            Subject = new ClaimsIdentity(Ngo()),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(devKey!)), SecurityAlgorithms.HmacSha256),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, await BrowseAsync(forged));
    }

    [Fact]
    public async Task When_the_provider_rotates_its_key_tokens_signed_with_the_new_one_are_accepted()
    {
        Assert.Equal(HttpStatusCode.OK, await BrowseAsync(_issuer.Mint(Ngo(), Audience)));
        var fetches = _issuer.KeyFetches;
        _issuer.Rotate();
        var token = _issuer.Mint(Ngo(), Audience);
        // ASP.NET Core's bearer handler answers the first token with an unknown key id 401 and asks for the keys again in
        // the background; the next requests see them. (Entra publishes a key weeks before signing with it, so a real
        // rotation is picked up by the daily refresh before any token needs it.)
        Assert.Equal(HttpStatusCode.OK, await Eventually.Until(() => BrowseAsync(token), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the rotated key to be accepted"));
        Assert.True(_issuer.KeyFetches > fetches, "the app fetched the keys again on meeting an unknown key id");
    }
}
