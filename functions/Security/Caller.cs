using System.Security.Claims;

namespace Matching.Security;

/// <summary>
/// Provider, Ngo, Mentor and Learner act inside their organisation; Admin administers their own organisation (its
/// reports, its venues); Operator runs the platform and alone holds platform-wide powers (every organisation's reports,
/// the training export of all outcomes, the model registry).
/// </summary>
public enum Role { Provider, Ngo, Mentor, Learner, Admin, Operator }

/// <summary>The authenticated caller as every endpoint sees it: who, in which role, for which organisation.</summary>
public sealed record Caller(string SubjectId, Role Role, string OrganisationId)
{
    public const string SubjectClaim = "sub";
    public const string RoleClaim = "role";
    public const string EntraRolesClaim = "roles";
    public const string OrganisationClaim = "org";

    public static Caller? From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true) return null;
        var subject = user.FindFirst(SubjectClaim)?.Value ?? user.FindFirst("oid")?.Value;
        var roleText = user.FindFirst(RoleClaim)?.Value ?? user.FindFirst(EntraRolesClaim)?.Value;
        var org = user.FindFirst(OrganisationClaim)?.Value;
        if (string.IsNullOrWhiteSpace(subject) || !IsOrganisationId(org) || !TryParseRole(roleText, out var role)) return null;
        return new Caller(subject, role, org!);
    }

    /// <summary>Organisation ids become table keys: letters, digits, '.', '_' and '-' only, 1 to 100 characters.</summary>
    public static bool IsOrganisationId(string? org) =>
        org is { Length: >= 1 and <= 100 } && char.IsAsciiLetterOrDigit(org[0]) && org.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public static bool TryParseRole(string? text, out Role role) =>
        Enum.TryParse(text, ignoreCase: true, out role) && Enum.IsDefined(role) && !int.TryParse(text, out _);

    /// <summary>
    /// The one organisation-scope rule: a caller sees only its own organisation's resources. Callers answer
    /// 404, not 403, when this fails, so that another organisation's resource does not even seem to exist.
    /// Admins are scoped too; only operators act across organisations, on the few endpoints made for it.
    /// </summary>
    public bool Owns(string organisationId) => string.Equals(OrganisationId, organisationId, StringComparison.Ordinal);

    /// <summary>The caller as the endpoints and pages read it (<see cref="From"/>): subject, role and organisation claims, whatever
    /// proved them (<paramref name="how"/>), with any claims of the proof worth keeping.</summary>
    public ClaimsPrincipal ToPrincipal(string how, IEnumerable<Claim>? kept = null) =>
        new(new ClaimsIdentity(
        [
            new(SubjectClaim, SubjectId), new(RoleClaim, Role.ToString()), new(OrganisationClaim, OrganisationId), .. kept ?? [],
        ], how, SubjectClaim, RoleClaim));
}

public static class CallerExtensions
{
    /// <summary>For endpoints behind <see cref="AuthSetup.RequireRoles"/>: the caller is known to be valid there.</summary>
    public static Caller Caller(this HttpContext context) =>
        Security.Caller.From(context.User) ?? throw new InvalidOperationException("The endpoint is missing its role policy.");
}
