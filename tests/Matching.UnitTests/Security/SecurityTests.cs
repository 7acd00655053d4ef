using Microsoft.Extensions.Configuration;
using System.Security.Claims;
using Matching.Security;

namespace Matching.UnitTests;

public sealed class SecurityTests
{
    private static ClaimsPrincipal Principal(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));

    [Fact]
    public void Caller_reads_subject_role_and_organisation()
    {
        var caller = Caller.From(Principal(("sub", "u1"), ("role", "ngo"), ("org", "konexio")));
        Assert.Equal(new Caller("u1", Role.Ngo, "konexio"), caller);
    }

    [Fact]
    public void Caller_accepts_entra_roles_and_oid()
    {
        var caller = Caller.From(Principal(("oid", "u2"), ("roles", "Provider"), ("org", "simplon")));
        Assert.Equal(new Caller("u2", Role.Provider, "simplon"), caller);
    }

    [Theory]
    [InlineData("sub", "role", "superuser")]
    [InlineData("sub", "role", "1")]
    [InlineData("sub", "nothing", "ngo")]
    public void Caller_without_a_known_role_or_organisation_is_nobody(string subjectClaim, string roleClaim, string role)
    {
        Assert.Null(Caller.From(Principal((subjectClaim, "u"), (roleClaim, role), ("org", "o"))));
        Assert.Null(Caller.From(Principal(("sub", "u"), ("role", "ngo"))));
        Assert.Null(Caller.From(new ClaimsPrincipal(new ClaimsIdentity())));
    }

    [Theory]
    [InlineData("konexio", true)]
    [InlineData("ngo-12.fr_b", true)]
    [InlineData("a/b", false)]
    [InlineData("a#b", false)]
    [InlineData("-lead", false)]
    [InlineData("", false)]
    public void Organisation_ids_are_safe_table_keys(string org, bool valid)
    {
        Assert.Equal(valid, Caller.IsOrganisationId(org));
        Assert.Equal(valid, Caller.From(Principal(("sub", "u"), ("role", "ngo"), ("org", org))) is not null);
    }

    [Fact]
    public void Organisation_scope_is_exact()
    {
        var caller = new Caller("u", Role.Admin, "konexio");
        Assert.True(caller.Owns("konexio"));
        Assert.False(caller.Owns("Konexio"));
        Assert.False(caller.Owns("other"));
    }

    [Fact]
    public void Short_development_keys_are_refused()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:DevelopmentSigningKey"] = "short" }).Build();
        Assert.Throws<InvalidOperationException>(() => AuthSettings.Read(config));
    }

    [Fact]
    public void Tokens_cannot_be_minted_without_a_development_key()
    {
        var settings = new AuthSettings(AuthSetup.DefaultAudience, null, null);
        Assert.Throws<InvalidOperationException>(() => DevelopmentTokens.Mint(settings, "s", Role.Ngo, "o", TimeSpan.FromHours(1)));
    }
}

public sealed class AzureRefusalTests
{
    [Fact]
    public void The_development_key_is_refused_on_azure()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:DevelopmentSigningKey"] = new string('k', 40),
        }).Build();
        var ex = Assert.Throws<InvalidOperationException>(() => AuthSettings.Read(config, runningOnAzure: true));
        Assert.Contains("refused on Azure", ex.Message);
        Assert.NotNull(AuthSettings.Read(config, runningOnAzure: false).DevelopmentKey);
    }

    [Fact]
    public void Entra_settings_take_precedence_over_a_development_key()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:EntraTenantId"] = "00000000-0000-0000-0000-000000000001",
            ["Auth:Audience"] = "api://matching-prod",
        }).Build();
        var settings = AuthSettings.Read(config, runningOnAzure: true);
        Assert.Equal(("api://matching-prod", "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0"), (settings.Audience, settings.Authority));
        Assert.Null(settings.DevelopmentKey);
    }

    /// <summary>Any OpenID provider by its issuer URL (Entra External ID's ciamlogin.com, a local test issuer); on Azure only over HTTPS.</summary>
    [Theory]
    [InlineData("https://contoso.ciamlogin.com/00000000-0000-0000-0000-000000000002/v2.0/", false, "https://contoso.ciamlogin.com/00000000-0000-0000-0000-000000000002/v2.0")]
    [InlineData("http://127.0.0.1:5099", false, "http://127.0.0.1:5099")]
    [InlineData("http://127.0.0.1:5099", true, null)]
    [InlineData("ftp://issuer.example", false, null)]
    [InlineData("not a url", false, null)]
    public void An_authority_is_any_openid_provider_over_https_on_azure(string authority, bool onAzure, string? accepted)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:Authority"] = authority }).Build();
        if (accepted is null)
            Assert.Throws<InvalidOperationException>(() => AuthSettings.Read(config, onAzure));
        else
            Assert.Equal(accepted, AuthSettings.Read(config, onAzure).Authority);
    }
}
