using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Matching.Security;

/// <summary>
/// JWT bearer authentication. With an OpenID provider (<c>Auth:Authority</c>, or <c>Auth:EntraTenantId</c> for Entra ID):
/// its discovery document and signing keys, fetched over HTTPS and refreshed when a token names a key not seen yet
/// (rotation), the issuer it declares, the audience and the lifetime. Locally, without one, tokens signed with the
/// development key from local configuration, minted by the <c>token</c> command.
/// </summary>
public static class AuthSetup
{
    public const string DevelopmentIssuer = "matching-local";
    public const string DefaultAudience = "api://matching";

    /// <summary>The longest a development token may live: a leaked one stops working the same day.</summary>
    public static readonly TimeSpan DevelopmentTokenMaxLifetime = TimeSpan.FromHours(24);

    public static IServiceCollection AddMatchingAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var auth = AuthSettings.Read(configuration);
        services.AddSingleton(auth);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters.NameClaimType = Caller.SubjectClaim;
            o.TokenValidationParameters.RoleClaimType = Caller.RoleClaim;
            o.TokenValidationParameters.ValidAudience = auth.Audience;
            o.TokenValidationParameters.ClockSkew = TimeSpan.FromMinutes(1);
            if (auth.Authority is { } authority)
            {
                o.Authority = authority;
                // Only a local issuer (tests, never Azure: AuthSettings.Read refuses it there) is served over plain HTTP.
                o.RequireHttpsMetadata = authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
                o.TokenValidationParameters.RequireExpirationTime = true;
                o.TokenValidationParameters.RequireSignedTokens = true;
            }
            else if (auth.DevelopmentKey is { } key)
            {
                o.TokenValidationParameters.ValidIssuer = DevelopmentIssuer;
                o.TokenValidationParameters.IssuerSigningKey = key;
                o.TokenValidationParameters.RequireExpirationTime = true;
                // Besides not being expired, a development token must not have been minted to live longer than a day.
                o.TokenValidationParameters.LifetimeValidator = (notBefore, expires, _, parameters) =>
                    notBefore is { } from && expires is { } until && until - from <= DevelopmentTokenMaxLifetime
                    && from <= DateTime.UtcNow + parameters.ClockSkew && until >= DateTime.UtcNow - parameters.ClockSkew;
            }
            else
            {
                // No way to validate a token: every protected endpoint answers 401.
                o.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
                o.TokenValidationParameters.ValidIssuer = "nobody";
            }
        });
        services.AddAuthorization();
        return services;
    }

    /// <summary>Only these roles may call the endpoint; the token must also name a subject and an organisation.</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params Role[] roles) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy
            .RequireAuthenticatedUser()
            .RequireAssertion(ctx => Caller.From(ctx.User) is { } caller && roles.Contains(caller.Role)));
}

/// <param name="Authority">The OpenID provider whose tokens are accepted (its issuer URL), null for the development key path.</param>
public sealed record AuthSettings(string Audience, string? Authority, SymmetricSecurityKey? DevelopmentKey)
{
    /// <summary>App Service and Functions on Azure always set these.</summary>
    public static bool RunningOnAzure => Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID") is { Length: > 0 }
        || Environment.GetEnvironmentVariable("WEBSITE_SITE_NAME") is { Length: > 0 };

    public static AuthSettings Read(IConfiguration configuration) => Read(configuration, RunningOnAzure);

    public static AuthSettings Read(IConfiguration configuration, bool runningOnAzure)
    {
        var section = configuration.GetSection("Auth");
        var authority = section["Authority"] is { Length: > 0 } a ? a.TrimEnd('/')
            : section["EntraTenantId"] is { Length: > 0 } tenant ? $"https://login.microsoftonline.com/{tenant}/v2.0" : null;
        if (authority is not null && (!Uri.TryCreate(authority, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")))
            throw new InvalidOperationException("Auth:Authority must be an absolute https URL (the OpenID provider's issuer).");
        if (authority is not null && runningOnAzure && !authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("Auth:Authority must be https on Azure.");
        var devKeyText = section["DevelopmentSigningKey"] is { Length: > 0 } k ? k : null;
        if (devKeyText is not null && runningOnAzure)
            throw new InvalidOperationException("Auth:DevelopmentSigningKey is refused on Azure: configure Auth:EntraTenantId (or Auth:Authority) and Auth:Audience.");
        SymmetricSecurityKey? devKey = null;
        if (devKeyText is not null && authority is null)
        {
            var bytes = Encoding.UTF8.GetBytes(devKeyText);
            if (bytes.Length < 32) throw new InvalidOperationException("Auth:DevelopmentSigningKey must be at least 32 bytes.");
            devKey = new SymmetricSecurityKey(bytes);
        }
        return new AuthSettings(section["Audience"] is { Length: > 0 } audience ? audience : AuthSetup.DefaultAudience, authority, devKey);
    }
}
