using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Matching.Security;

/// <summary>Mints local development tokens; refused on Azure and where no development key is configured.</summary>
public static class DevelopmentTokens
{
    /// <summary>With a role and an organisation, the token says who the caller is (local tools and tests); without them it names
    /// a person only, whose memberships decide, as a provider's token does on Azure.</summary>
    public static string Mint(AuthSettings settings, string subject, Role? role, string? organisationId, TimeSpan lifetime)
    {
        if (role is null != organisationId is null) throw new ArgumentException("A role and an organisation go together.");
        if (AuthSettings.RunningOnAzure) throw new InvalidOperationException("Development tokens are refused on Azure.");
        var key = settings.DevelopmentKey
            ?? throw new InvalidOperationException("No Auth:DevelopmentSigningKey is configured (run with ASPNETCORE_ENVIRONMENT=Development).");
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthSetup.DevelopmentIssuer,
            Audience = settings.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Subject = new ClaimsIdentity(role is { } r
                ? [new Claim(Caller.SubjectClaim, subject), new Claim(Caller.RoleClaim, r.ToString().ToLowerInvariant()), new Claim(Caller.OrganisationClaim, organisationId!)]
                : [new Claim(Caller.SubjectClaim, subject)]),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }
}
