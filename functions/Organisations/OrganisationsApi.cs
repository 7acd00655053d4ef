using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Organisations;

public static class OrganisationsModule
{
    public static IServiceCollection AddOrganisations(this IServiceCollection services) => services
        .AddTable(OrganisationDirectory.OrganisationsTable).AddTable(OrganisationDirectory.MembershipsTable)
        .AddTable(OrganisationDirectory.MembersTable).AddTable(OrganisationDirectory.InvitationsTable)
        .AddSingleton<MembershipCache>().AddSingleton<OrganisationDirectory>().AddSingleton<InvitationMail>()
        .AddSingleton<IMembershipResolver, MembershipResolver>()
        .AddSingleton<Notifications.IOrganisationNames, OrganisationNames>();

    /// <summary>
    /// Notifications and pages name the organisation a notice or a page is about. Names are kept a minute on each
    /// instance: a learner's page reads it on every visit, and a name that changes is seen within the minute.
    /// </summary>
    private sealed class OrganisationNames(OrganisationDirectory directory, TimeProvider time) : Notifications.IOrganisationNames
    {
        private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset Until, string? Name)> _names = new();

        public async Task<string?> NameAsync(string organisationId, CancellationToken ct)
        {
            if (_names.TryGetValue(organisationId, out var kept) && kept.Until > time.GetUtcNow()) return kept.Name;
            var name = (await directory.FindAsync(organisationId, ct))?.Name;
            if (_names.Count > 10_000) _names.Clear(); // bounded
            if (name is not null) _names[organisationId] = (time.GetUtcNow() + Lifetime, name);
            return name;
        }
    }
}

/// <summary>
/// Organisations and who belongs to them. Operators (the platform's people, an app role on Azure) create organisations
/// and invite their first admin; an organisation's admins invite its staff, list its members and remove them, and read
/// its audit trail. Whoever holds an invitation's token accepts it once, signed in, which binds their identity to the
/// organisation with the invitation's role.
/// </summary>
[Tags("Organisations")]
public sealed class OrganisationFunctions(OrganisationDirectory directory, InvitationMail mail, AuditTrail audit)
{
    [Function("CreateOrganisation"), RequireRoles(Role.Operator)]
    [EndpointSummary("Creates an organisation (an NGO, a training provider or a volunteer network) with its SIRET; then invite its first admin.")]
    [AcceptsBody(typeof(OrganisationInput)), ProducesResponseType<OrganisationView>(StatusCodes.Status201Created), ProducesValidationProblem,
     ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/organisations")] HttpRequest req, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<OrganisationInput>(ct);
        var v = OrganisationRules.Check(input);
        if (!v.IsValid) return v.ToResult();
        return await directory.CreateAsync(input with { Name = input.Name.Trim() }, req.HttpContext.Caller().SubjectId, ct) is { } view
            ? Results.Created($"/api/organisations/{view.Id}", view)
            : Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The organisation exists", Texts.Format("The id '{0}' is taken.", input.Id));
    }

    [Function("ListOrganisations"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("The organisations: every one for operators, their own for an organisation's admins.")]
    [ProducesResponseType<IReadOnlyList<OrganisationView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/organisations")] HttpRequest req, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        var all = await directory.ListAsync(ct);
        return Results.Ok(caller.Role == Role.Operator ? all : all.Where(o => caller.Owns(o.Id)).ToList());
    }

    [Function("GetOrganisation"), RequireRoles(Role.Operator, Role.Admin, Role.Ngo, Role.Provider, Role.Mentor)]
    [EndpointSummary("One organisation: any for operators, their own for its members.")]
    [ProducesResponseType<OrganisationView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/organisations/{organisationId}")] HttpRequest req,
        string organisationId, CancellationToken ct) =>
        Sees(req, organisationId) && await directory.FindAsync(organisationId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The organisation");

    [Function("InviteMember"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("Invites someone to the organisation with a role (its staff role or admin). It is mailed to the address at once, with the page that accepts it (url); the token is also shown once, here, for the organisation's own tools. It can be accepted once, within 7 days.")]
    [AcceptsBody(typeof(InvitationInput)), ProducesResponseType<InvitationView>(StatusCodes.Status201Created), ProducesValidationProblem,
     ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> InviteAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/organisations/{organisationId}/invitations")] HttpRequest req,
        string organisationId, CancellationToken ct)
    {
        if (!Sees(req, organisationId) || await directory.FindAsync(organisationId, ct) is not { } organisation) return Problems.NotFound("The organisation");
        var input = await req.ReadJsonAsync<InvitationInput>(ct);
        var v = new Validation()
            .Require(input.Email is { Length: >= 3 and <= 254 } && System.Net.Mail.MailAddress.TryCreate(input.Email.Trim(), out var address) && address.Address == input.Email.Trim(),
                "email", "An email address.")
            .RequireRoleIn(organisation.Kind, input.Role);
        if (!v.IsValid) return v.ToResult();
        var invitation = await directory.InviteAsync(organisationId, input, req.HttpContext.Caller().SubjectId, ct);
        var why = await mail.SendAsync(Notifications.PreferenceFunctions.Me(req.HttpContext), input.Email.Trim(), organisation.Name, input.Role, invitation.Token!, invitation.ExpiresAt, ct);
        invitation = invitation with { Url = mail.Url(invitation.Token!), SentByMail = why is null, NotSentBecause = why };
        return Results.Created($"/api/organisations/{organisationId}/invitations/{invitation.Id}", invitation);
    }

    [Function("ListInvitations"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("The organisation's invitations not accepted yet: to whom, with which role, until when (expired ones until they are purged a day later).")]
    [ProducesResponseType<IReadOnlyList<PendingInvitationView>>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> InvitationsAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/organisations/{organisationId}/invitations")] HttpRequest req,
        string organisationId, CancellationToken ct) =>
        Sees(req, organisationId) && await directory.FindAsync(organisationId, ct) is not null
            ? Results.Ok(await directory.PendingAsync(organisationId, ct)) : Problems.NotFound("The organisation");

    [Function("WithdrawInvitation"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("Withdraws an invitation not accepted yet: its token stops working at once.")]
    [ProducesResponseType(StatusCodes.Status204NoContent), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> WithdrawAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/organisations/{organisationId}/invitations/{invitationId}")] HttpRequest req,
        string organisationId, string invitationId, CancellationToken ct) =>
        Sees(req, organisationId) && Ids.IsValid(invitationId) && await directory.WithdrawAsync(organisationId, invitationId, req.HttpContext.Caller().SubjectId, ct)
            ? Results.NoContent() : Problems.NotFound("The pending invitation");

    [Function("AcceptInvitation"), SignedIn]
    [EndpointSummary("Accepts an invitation: the signed-in person, member of another organisation or of none yet, becomes a member of its organisation with its role.")]
    [AcceptsBody(typeof(AcceptInvitationInput)), ProducesResponseType<MembershipView>(StatusCodes.Status201Created), ProducesValidationProblem,
     ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict), ProducesProblem(StatusCodes.Status410Gone)]
    public async Task<IResult> AcceptAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/invitations/accept")] HttpRequest req, CancellationToken ct)
    {
        var person = Person.From(req.HttpContext.User)!;
        var input = await req.ReadJsonAsync<AcceptInvitationInput>(ct);
        var v = new Validation().Require(OrganisationRules.IsInvitationToken(input.Token), "token",
            "The invitation's token, as it was given.");
        if (!v.IsValid) return v.ToResult();
        var (outcome, membership) = await directory.AcceptAsync(input.Token, person.Id, ct);
        return outcome == OrganisationDirectory.AcceptOutcome.Accepted
            ? Results.Created($"/api/organisations/{membership!.OrganisationId}/memberships/{membership.PersonId}", membership)
            : Refusal(outcome);
    }

    /// <summary>Why an invitation was not accepted: the same words on the API and on the page that accepts it.</summary>
    public static IResult Refusal(OrganisationDirectory.AcceptOutcome outcome) => outcome switch
    {
        OrganisationDirectory.AcceptOutcome.Used => Problems.Result(StatusCodes.Status410Gone, ProblemTypes.Gone, "The invitation was used", "An invitation is accepted once; ask for another."),
        OrganisationDirectory.AcceptOutcome.LastAdmin => Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The last admin",
            "You are this organisation's last admin: make another member admin before taking another role."),
        OrganisationDirectory.AcceptOutcome.Expired => Problems.Result(StatusCodes.Status410Gone, ProblemTypes.Gone, "The invitation expired", "Ask the organisation's admin for another."),
        _ => Problems.NotFound("The invitation"),
    };

    [Function("GetCharter"), SignedIn]
    [EndpointSummary("The volunteers' charter in force: its version is what signing up accepts.")]
    [ProducesResponseType<Charter>(StatusCodes.Status200OK)]
    public IResult Charter([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/charter")] HttpRequest req) => Results.Ok(Organisations.Charter.Current);

    [Function("SignUpAsVolunteer"), SignedIn]
    [EndpointSummary("A signed-in person joins a volunteer network open for sign-ups as a mentor, accepting the charter in force (its version); then they create their mentor profile (PUT /api/mentors/me).")]
    [AcceptsBody(typeof(VolunteerSignUpInput)), ProducesResponseType<MembershipView>(StatusCodes.Status201Created), ProducesResponseType<MembershipView>(StatusCodes.Status200OK),
     ProducesValidationProblem, ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> SignUpAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/organisations/{organisationId}/volunteers")] HttpRequest req,
        string organisationId, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<VolunteerSignUpInput>(ct);
        var v = new Validation().Require(input.CharterVersion is { Length: >= 1 and <= 20 }, "charterVersion", Texts.Format("The version of the charter accepted (GET /api/charter: {0}).", Organisations.Charter.Current.Version));
        if (!v.IsValid) return v.ToResult();
        // A network closed to sign-ups, or any other kind of organisation, looks like no network at all.
        if (await directory.FindAsync(organisationId, ct) is not { Kind: OrganisationKind.VolunteerNetwork, SelfSignUp: true } network) return Problems.NotFound("The volunteer network");
        var (outcome, membership) = await directory.SignUpVolunteerAsync(network, Person.From(req.HttpContext.User)!.Id, input.CharterVersion, ct);
        return outcome switch
        {
            OrganisationDirectory.SignUpOutcome.SignedUp => Results.Created($"/api/organisations/{organisationId}/memberships/{membership!.PersonId}", membership),
            OrganisationDirectory.SignUpOutcome.AlreadyMember => Results.Ok(membership),
            OrganisationDirectory.SignUpOutcome.OldCharter => Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "Not the charter in force",
                Texts.Format("The charter in force is version {0}: read it (GET /api/charter) and accept that one.", Organisations.Charter.Current.Version)),
            _ => Problems.NotFound("The volunteer network"),
        };
    }

    [Function("SetSelfSignUp"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("Opens or closes a volunteer network to people signing up by themselves.")]
    [AcceptsBody(typeof(SelfSignUpInput)), ProducesResponseType<OrganisationView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> SetSelfSignUpAsync([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/organisations/{organisationId}/self-sign-up")] HttpRequest req,
        string organisationId, CancellationToken ct)
    {
        if (!Sees(req, organisationId)) return Problems.NotFound("The volunteer network");
        var input = await req.ReadJsonAsync<SelfSignUpInput>(ct);
        return await directory.SetSelfSignUpAsync(organisationId, input.Open, req.HttpContext.Caller().SubjectId, ct) is { } view
            ? Results.Ok(view) : Problems.NotFound("The volunteer network");
    }

    [Function("ListMyMemberships"), SignedIn]
    [EndpointSummary("The organisations the signed-in person belongs to, and their role in each: what the X-Organisation header can name.")]
    [ProducesResponseType<IReadOnlyList<MembershipView>>(StatusCodes.Status200OK)]
    public async Task<IResult> MineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/me/memberships")] HttpRequest req, CancellationToken ct) =>
        Results.Ok(await directory.MembershipsOfAsync(Person.From(req.HttpContext.User)!.Id, ct));

    [Function("ListMembers"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("The organisation's members: their opaque person id, role and since when.")]
    [ProducesResponseType<IReadOnlyList<MembershipView>>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> MembersAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/organisations/{organisationId}/memberships")] HttpRequest req,
        string organisationId, CancellationToken ct) =>
        Sees(req, organisationId) && await directory.FindAsync(organisationId, ct) is not null
            ? Results.Ok(await directory.MembersOfAsync(organisationId, ct)) : Problems.NotFound("The organisation");

    [Function("RemoveMember"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("Removes a member: from their next request on, they no longer act for the organisation. The last admin cannot be removed.")]
    [ProducesResponseType(StatusCodes.Status204NoContent), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> RemoveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/organisations/{organisationId}/memberships/{personId}")] HttpRequest req,
        string organisationId, string personId, CancellationToken ct)
    {
        if (!Sees(req, organisationId) || !Ids.IsValid(personId)) return Problems.NotFound("The membership");
        return await directory.RemoveAsync(organisationId, personId, req.HttpContext.Caller().SubjectId, ct) switch
        {
            OrganisationDirectory.MemberChange.NotMember => Problems.NotFound("The membership"),
            OrganisationDirectory.MemberChange.LastAdmin => Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The last admin", "Invite another admin before removing this one."),
            _ => Results.NoContent(),
        };
    }

    [Function("ChangeMemberRole"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("Changes a member's role (the organisation's staff role or admin): from their next request on. The last admin stays an admin.")]
    [AcceptsBody(typeof(RoleChangeInput)), ProducesResponseType(StatusCodes.Status204NoContent), ProducesValidationProblem,
     ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> ChangeRoleAsync([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/organisations/{organisationId}/memberships/{personId}")] HttpRequest req,
        string organisationId, string personId, CancellationToken ct)
    {
        if (!Sees(req, organisationId) || !Ids.IsValid(personId) || await directory.FindAsync(organisationId, ct) is not { } organisation) return Problems.NotFound("The membership");
        var input = await req.ReadJsonAsync<RoleChangeInput>(ct);
        var v = new Validation().RequireRoleIn(organisation.Kind, input.Role);
        if (!v.IsValid) return v.ToResult();
        return await directory.ChangeRoleAsync(organisationId, personId, input.Role, req.HttpContext.Caller().SubjectId, ct) switch
        {
            OrganisationDirectory.MemberChange.NotMember => Problems.NotFound("The membership"),
            OrganisationDirectory.MemberChange.LastAdmin => Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The last admin", "Make another member admin first."),
            _ => Results.NoContent(),
        };
    }

    [Function("ListAuditTrail"), RequireRoles(Role.Operator, Role.Admin)]
    [EndpointSummary("Who did what in the organisation, newest first: membership changes, invitations, exports and erasures (ids only).")]
    [ProducesResponseType<IReadOnlyList<AuditEntry>>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> AuditAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/organisations/{organisationId}/audit")] HttpRequest req,
        string organisationId, CancellationToken ct) =>
        Sees(req, organisationId) ? Results.Ok(await audit.ListAsync(organisationId, 200, ct)) : Problems.NotFound("The organisation");

    /// <summary>Operators see every organisation; anyone else only their own (another's answers 404, as everywhere).</summary>
    private static bool Sees(HttpRequest req, string organisationId) =>
        req.HttpContext.Caller() is var caller && (caller.Role == Role.Operator || caller.Owns(organisationId));
}
