using Matching.Mentoring;
using Matching.Organisations;
using Matching.Security;

namespace Matching.Pages.Account;

/// <summary>
/// Joining an organisation from a page: the invitation mail's button (<c>/invitations/{token}</c>), or a volunteer
/// network's open sign-up with its charter (<c>/join/{network}</c>). Signed in first (the page comes back here after
/// the provider), then one button; the same directory and the same refusals as the API's.
/// </summary>
public sealed class JoinPages(OrganisationDirectory directory, MentorDirectory mentors)
{
    [Function("ShowInvitation"), Page(PageAccess.SignedIn)]
    public async Task<IResult> ShowInvitationAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "invitations/{token}")] HttpRequest req,
        string token, CancellationToken ct)
    {
        if (!OrganisationRules.IsInvitationToken(token)) return Refused(OrganisationDirectory.AcceptOutcome.Unknown);
        var (refused, organisationId, role) = await directory.LookAsync(token, ct);
        if (refused is { } why) return Refused(why);
        var organisation = await directory.FindAsync(organisationId!, ct);
        return PageResults.Show<JoinPage>(new Dictionary<string, object>
        {
            ["Organisation"] = organisation?.Name ?? organisationId!, ["Role"] = InvitationMail.RoleWords(role), ["Action"] = req.Path.Value!,
        });
    }

    [Function("AcceptInvitationPage"), Page(PageAccess.SignedIn)]
    public async Task<IResult> AcceptInvitationAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "invitations/{token}")] HttpRequest req,
        string token, CancellationToken ct)
    {
        if (!OrganisationRules.IsInvitationToken(token)) return Refused(OrganisationDirectory.AcceptOutcome.Unknown);
        var (outcome, membership) = await directory.AcceptAsync(token, Person.From(req.HttpContext.User)!.Id, ct);
        if (outcome != OrganisationDirectory.AcceptOutcome.Accepted) return Refused(outcome);
        return await WelcomeAsync(req.HttpContext, membership!, ct);
    }

    [Function("ShowVolunteerSignUp"), Page(PageAccess.SignedIn)]
    public async Task<IResult> ShowSignUpAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "join/{networkId}")] HttpRequest req,
        string networkId, CancellationToken ct)
    {
        if (await OpenNetworkAsync(networkId, ct) is not { } network) return NoNetwork();
        return PageResults.Show<JoinPage>(new Dictionary<string, object>
        {
            ["Organisation"] = network.Name, ["Role"] = InvitationMail.RoleWords(Role.Mentor), ["Action"] = req.Path.Value!, ["Charter"] = Charter.Current,
        });
    }

    [Function("VolunteerSignUpPage"), Page(PageAccess.SignedIn)]
    public async Task<IResult> SignUpAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "join/{networkId}")] HttpRequest req,
        string networkId, CancellationToken ct)
    {
        if (await OpenNetworkAsync(networkId, ct) is not { } network) return NoNetwork();
        var form = await req.ReadFormAsync(ct);
        if (form["charter"] != Charter.Current.Version)
            return PageResults.Show<JoinPage>(new Dictionary<string, object>
            {
                ["Organisation"] = network.Name, ["Role"] = InvitationMail.RoleWords(Role.Mentor), ["Action"] = req.Path.Value!, ["Charter"] = Charter.Current,
                ["Problem"] = Words.T("Tick the box to accept the charter."),
            }, StatusCodes.Status422UnprocessableEntity);
        var (outcome, membership) = await directory.SignUpVolunteerAsync(network, Person.From(req.HttpContext.User)!.Id, Charter.Current.Version, ct);
        return outcome is OrganisationDirectory.SignUpOutcome.SignedUp or OrganisationDirectory.SignUpOutcome.AlreadyMember
            ? await WelcomeAsync(req.HttpContext, membership!, ct) : NoNetwork();
    }

    /// <summary>A network's sign-up exists only while it is open: a closed one, or any other organisation, looks like none (as on the API).</summary>
    private async Task<OrganisationView?> OpenNetworkAsync(string networkId, CancellationToken ct) =>
        Caller.IsOrganisationId(networkId) && await directory.FindAsync(networkId, ct) is { Kind: OrganisationKind.VolunteerNetwork, SelfSignUp: true } network ? network : null;

    /// <summary>Now a member: acting in that organisation, on to its pages; a new mentor first says who they are.</summary>
    private async Task<IResult> WelcomeAsync(HttpContext http, MembershipView membership, CancellationToken ct)
    {
        PageSessions.ChooseOrganisation(http, membership.OrganisationId);
        if (membership.Role != Role.Mentor) return PageResults.SeeOther($"{AccountPages.Home}?joined={membership.OrganisationId}");
        var profile = await mentors.FindAsync(Platform.Ids.MentorId(membership.OrganisationId, membership.PersonId), ct);
        return PageResults.SeeOther(profile is null ? $"{Mentor.MentorPages.Profile}?welcome=1" : Mentor.MentorPages.Home);
    }

    private static IResult Refused(OrganisationDirectory.AcceptOutcome outcome)
    {
        var problem = PageOutcome.ProblemOf(OrganisationFunctions.Refusal(outcome))!;
        return PageResults.Error(problem.Status, problem.Title, problem.Detail, (AccountPages.Home, Words.T("My account")));
    }

    private static IResult NoNetwork() =>
        PageResults.Error(StatusCodes.Status404NotFound, "Not found", "This volunteer network does not take sign-ups now.", (AccountPages.Home, Words.T("My account")));
}
