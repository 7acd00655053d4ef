namespace Matching.Security;

// Who may call a function, declared on it: read by the HTTP gate (Hosting) and the OpenAPI document (Platform). They
// live here, below the features, so that a feature declares its access without importing the host.

/// <summary>A learner's personal access link (no account: a scoped, expiring token from their NGO) may call the function as that
/// learner: seeing their matches and sessions, answering check-ins. Nothing else answers to a link.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AccessLinkAttribute : Attribute;

/// <summary>Any signed-in person may call the function, whether or not they belong to an organisation yet (accepting an invitation, listing one's memberships).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SignedInAttribute : Attribute;

/// <summary>Only these roles may call the function; the token must also name a subject and an organisation.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class RequireRolesAttribute(params Role[] roles) : Attribute
{
    public IReadOnlyList<Role> Roles { get; } = roles;
}
