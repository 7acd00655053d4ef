using System.Security.Claims;
using Matching.Platform;
using Matching.Security;

namespace Matching.Organisations;

/// <summary>What an organisation is: its kind decides the role its staff get (an NGO's staff act as <see cref="Role.Ngo"/>).</summary>
public enum OrganisationKind { Ngo, Provider, VolunteerNetwork }

public sealed record OrganisationInput(string Id, string Name, OrganisationKind Kind, string? Siret = null, bool SelfSignUp = false);

public sealed record OrganisationView(string Id, string Name, OrganisationKind Kind, string? Siret, bool SelfSignUp, DateTimeOffset CreatedAt);

/// <param name="PersonId">The person's opaque id (<see cref="Person.Id"/>): never their name, email or token subject.</param>
public sealed record MembershipView(string OrganisationId, string PersonId, Role Role, DateTimeOffset Since);

public sealed record InvitationInput(string Email, Role Role);

public sealed record RoleChangeInput(Role Role);

/// <param name="Token">The secret the invited person presents to accept: shown once, here; only its hash is kept.</param>
/// <param name="Url">The page that accepts it (the token is its last part): what the mail's button opens.</param>
/// <param name="SentByMail">Whether the invitation was just mailed to the address.</param>
/// <param name="NotSentBecause">Why not, when it was not: then give the person the url another way.</param>
public sealed record InvitationView(string Id, string OrganisationId, Role Role, DateTimeOffset ExpiresAt, string? Token, string? Url = null,
    bool SentByMail = false, string? NotSentBecause = null);

public sealed record AcceptInvitationInput(string Token);

/// <summary>An invitation not yet accepted, as its organisation's admins see it (the token itself is never shown again).</summary>
public sealed record PendingInvitationView(string Id, string Email, Role Role, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, bool Expired);

public sealed record SelfSignUpInput(bool Open);

public sealed record VolunteerSignUpInput(string CharterVersion);

/// <summary>The volunteers' charter a person accepts to sign up by themselves; its version is kept with their membership.</summary>
public sealed record Charter(string Version, string Language, string Text)
{
    /// <summary>The charter in force. A new text gets a new version; those who accepted an older one keep it on record.</summary>
    public static readonly Charter Current = new("2026-12", "fr",
        "En rejoignant ce réseau de bénévoles, je m'engage à accompagner gratuitement les personnes qui me sont présentées, " +
        "avec respect et sans jugement ; à garder confidentiel ce qu'elles me confient ; à ne leur demander ni argent, ni service, " +
        "ni données au-delà de ce que l'accompagnement demande ; à prévenir l'association qui les suit si je ne peux plus tenir " +
        "mes engagements ou si une situation m'inquiète ; et à signaler tout comportement inapproprié.");
}

public static class OrganisationRules
{
    /// <summary>
    /// A SIRET: 14 digits whose Luhn sum is a multiple of 10 (INSEE's rule), except La Poste's establishments (SIREN
    /// 356 000 000), whose 14 digits add up to a multiple of 5.
    /// </summary>
    public static bool IsSiret(string? siret)
    {
        if (siret is not { Length: 14 } || !siret.All(char.IsAsciiDigit)) return false;
        if (siret.StartsWith("356000000", StringComparison.Ordinal) && siret != "35600000000048")
            return siret.Sum(c => c - '0') % 5 == 0;
        var sum = 0;
        for (var i = 0; i < 14; i++)
        {
            var d = siret[13 - i] - '0';
            if (i % 2 == 1) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>The roles an organisation's members may hold: its staff role, and admin.</summary>
    public static IReadOnlyList<Role> RolesIn(OrganisationKind kind) => kind switch
    {
        OrganisationKind.Ngo => [Role.Ngo, Role.Admin],
        OrganisationKind.Provider => [Role.Provider, Role.Admin],
        _ => [Role.Mentor, Role.Admin],
    };

    /// <summary>Refuses a role the organisation does not have, naming the ones it has.</summary>
    public static Validation RequireRoleIn(this Validation v, OrganisationKind kind, Role role) =>
        v.Require(RolesIn(kind).Contains(role), "role", Texts.Format("In this organisation: {0} or {1}.", [.. RolesIn(kind).Select(r => r.ToString().ToLowerInvariant())]));

    /// <summary>Whether giving <paramref name="member"/> the role <paramref name="role"/> (null: removing them) would leave the organisation without an admin.</summary>
    public static bool LeavesNoAdmin(IReadOnlyList<MembershipView> members, MembershipView member, Role? role) =>
        member.Role == Role.Admin && role != Role.Admin && members.Count(m => m.Role == Role.Admin) == 1;

    /// <summary>How long an invitation can be accepted.</summary>
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);

    /// <summary>An invitation's token has the shape it was given in (checked before any storage call).</summary>
    public static bool IsInvitationToken(string? token) => token is { Length: >= 20 and <= 100 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static Validation Check(OrganisationInput input) => new Validation()
        .Require(Caller.IsOrganisationId(input.Id) && input.Id.Length <= 60 && input.Id == input.Id.ToLowerInvariant(), "id",
            "1 to 60 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. konexio).")
        .Require(input.Id is not (Person.Platform), "id", Texts.Format("'{0}' is reserved.", Person.Platform))
        .Line(input.Name, "name", 2, 120)
        .Require(Enum.IsDefined(input.Kind), "kind", "One of ngo, provider, volunteerNetwork.")
        .Require(input.Siret is null ? input.Kind == OrganisationKind.VolunteerNetwork : IsSiret(input.Siret), "siret",
            input.Siret is null ? "Required for an NGO or a provider: the 14 digits of its SIRET." : "14 digits with a valid check digit (Luhn).");
}

/// <summary>
/// Who a token names, whichever the provider: its issuer and subject (<c>oid</c> for Entra ID, stable across the
/// tenant's apps, else <c>sub</c>), and an opaque id derived from both, which is what the product stores.
/// </summary>
public sealed record Person(string Issuer, string Subject)
{
    /// <summary>The organisation id an operator acts in when they name none.</summary>
    public const string Platform = "platform";

    public string Id { get; } = Ids.Derive("person", Issuer, Subject);

    public static Person? From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true) return null;
        var issuer = user.FindFirst("iss")?.Value;
        var subject = user.FindFirst("oid")?.Value ?? user.FindFirst(Caller.SubjectClaim)?.Value;
        return issuer is { Length: > 0 } && subject is { Length: > 0 } ? new Person(issuer, subject) : null;
    }
}
