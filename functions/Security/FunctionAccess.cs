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

/// <summary>Who may open a page (<see cref="PageAttribute"/>).</summary>
public enum PageAccess
{
    /// <summary>Anyone: the page shows nothing of anybody's (the stylesheet, the language switch, opening a link).</summary>
    Anyone,

    /// <summary>A learner in the session their personal link opened (a cookie): the page acts as that learner, as the
    /// API does for the link itself (<see cref="AccessLinkAttribute"/>).</summary>
    Learner,

    /// <summary>Any signed-in person (the sign-in session cookie), member of an organisation or not yet.</summary>
    SignedIn,

    /// <summary>A signed-in member of an organisation, in a role the function serves (<see cref="RequireRolesAttribute"/>),
    /// resolved through their memberships exactly as the API resolves a token's person.</summary>
    Member,
}

/// <summary>
/// A page for people, not an API endpoint: served at the root (no /api), answered in HTML, in French unless the reader
/// chose English. The HTTP gate reads its caller from the session cookie instead of a bearer token, checks the
/// anti-forgery token of every form posted to it, and answers its refusals and failures with a page.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PageAttribute(PageAccess access) : Attribute
{
    public PageAccess Access { get; } = access;
}
