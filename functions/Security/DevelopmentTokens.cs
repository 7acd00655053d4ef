using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Matching.Security;

/// <summary>Mints local development tokens; refused on Azure and where no development key is configured.</summary>
public static class DevelopmentTokens
{
    public static string Mint(AuthSettings settings, string subject, Role role, string organisationId, TimeSpan lifetime)
    {
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
            Subject = new ClaimsIdentity(
            [
                new Claim(Caller.SubjectClaim, subject),
                new Claim(Caller.RoleClaim, role.ToString().ToLowerInvariant()),
                new Claim(Caller.OrganisationClaim, organisationId),
            ]),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }
}
