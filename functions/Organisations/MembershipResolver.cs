using System.Security.Claims;
using Matching.Security;

namespace Matching.Organisations;

/// <summary>
/// Roles and organisation from the product's memberships, not from token claims (issue 21): a valid token of the
/// configured provider with no custom claim is enough once its person is a member. The one claim read is the Entra app
/// role <c>Operator</c> (<c>roles</c>), which the platform's operators are given in the app registration.
/// </summary>
public sealed class MembershipResolver(OrganisationDirectory directory) : IMembershipResolver
{
    public const string OrganisationHeader = "X-Organisation";
    public const string OperatorAppRole = "Operator";

    public async Task<(Caller? Caller, int Status, string? Why)> ResolveAsync(ClaimsPrincipal user, string? organisationHeader, CancellationToken ct)
    {
        if (Person.From(user) is not { } person) return (null, StatusCodes.Status401Unauthorized, "The token names no subject.");
        if (user.FindAll(Caller.EntraRolesClaim).Any(c => string.Equals(c.Value, OperatorAppRole, StringComparison.OrdinalIgnoreCase)))
            return (new Caller(person.Id, Role.Operator, Person.Platform), 0, null);
        if (organisationHeader is not null && !Caller.IsOrganisationId(organisationHeader))
            return (null, StatusCodes.Status400BadRequest, Texts.Format("The {0} header is an organisation id (letters, digits, '.', '_' and '-').", OrganisationHeader));
        var memberships = await directory.MembershipsOfAsync(person.Id, ct);
        if (memberships.Count == 0)
            return (null, StatusCodes.Status403Forbidden, "You are not a member of any organisation yet: accept an invitation (POST /api/invitations/accept) or sign up as a volunteer.");
        MembershipView? chosen = organisationHeader is null
            ? memberships.Count == 1 ? memberships[0] : null
            : memberships.FirstOrDefault(m => m.OrganisationId == organisationHeader);
        if (chosen is null)
            return organisationHeader is null
                ? (null, StatusCodes.Status400BadRequest, Texts.Format("You belong to {0} organisations: name one in the {1} header ({2}).", memberships.Count, OrganisationHeader,
                    string.Join(", ", memberships.Select(m => m.OrganisationId))))
                : (null, StatusCodes.Status403Forbidden, Texts.Format("You are not a member of '{0}'.", organisationHeader));
        return (new Caller(person.Id, chosen.Role, chosen.OrganisationId), 0, null);
    }
}
