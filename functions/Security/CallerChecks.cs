using System.Security.Claims;

namespace Matching.Security;

/// <summary>
/// A check on an authenticated caller that a token alone cannot answer (the person may have been erased since it was
/// issued). Every check runs in the gate, after the role check, for every HTTP function, in both hosts; a non-null
/// answer refuses the call.
/// </summary>
public interface ICallerCheck
{
    Task<string?> RefusalAsync(Caller caller, DateTimeOffset? issuedAt, CancellationToken ct);
}

public static class TokenTimes
{
    /// <summary>The token's <c>iat</c>, when it has one.</summary>
    public static DateTimeOffset? IssuedAt(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirst("iat")?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}

/// <summary>
/// Who the caller is when the token does not say it: the person's memberships decide the organisation (the
/// <c>X-Organisation</c> header chooses among several) and the role. Runs in the gate, inside its exception mapping.
/// </summary>
public interface IMembershipResolver
{
    /// <summary>The caller, or the status and reason of a refusal.</summary>
    Task<(Caller? Caller, int Status, string? Why)> ResolveAsync(ClaimsPrincipal user, string? organisationHeader, CancellationToken ct);
}

/// <summary>A learner's personal access link, presented as a bearer token: which learner of which organisation it stands for.</summary>
public interface IAccessLinks
{
    /// <summary>The prefix that tells an access link from a JSON Web Token.</summary>
    public const string Prefix = "mla_";

    /// <summary>The learner the link stands for, or null when it is unknown, expired or revoked.</summary>
    Task<Caller?> ResolveAsync(string token, CancellationToken ct);
}
