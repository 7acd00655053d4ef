using Azure;
using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;

namespace Matching.Organisations;

/// <summary>
/// Organisations, memberships, invitations and the audit trail, in four tables:
/// <c>organisations</c> (one partition: organisations are few), <c>memberships</c> (partition = the person: what the
/// gate reads on every request, one partition query), <c>members</c> (partition = the organisation: what its admins
/// list) and <c>invitations</c> (keyed by the token's hash: the token itself is never stored). <c>members</c> holds the
/// organisation's rules, by storage conditions: every change to it is one transaction in the organisation's partition
/// that also rewrites each remaining admin's row on the ETag it read, so that two changes which each leave another admin
/// (two admins removing or demoting each other at once) cannot both land. <c>memberships</c> follows it: written after a
/// change lands; a removal the second table missed is finished by the next removal of that person.
/// </summary>
public sealed class OrganisationDirectory(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time, MembershipCache cache, AuditTrail audit,
    Notifications.PreferenceBook preferences)
{
    private static string RoleCode(Role role) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(role.ToString());

    public const string OrganisationsTable = "organisations", MembershipsTable = "memberships", MembersTable = "members", InvitationsTable = "invitations";
    private const string Partition = "organisation";

    private TableClient Organisations => tables.GetTableClient(OrganisationsTable);
    private TableClient Memberships => tables.GetTableClient(MembershipsTable);
    private TableClient Members => tables.GetTableClient(MembersTable);
    private TableClient Invitations => tables.GetTableClient(InvitationsTable);

    /// <summary>Creates the organisation, or null when its id is taken.</summary>
    public async Task<OrganisationView?> CreateAsync(OrganisationInput input, string actor, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var entity = new TableEntity(Partition, input.Id)
        {
            ["Name"] = input.Name, ["Kind"] = input.Kind.ToString(), ["Siret"] = input.Siret, ["SelfSignUp"] = input.SelfSignUp, ["CreatedAt"] = time.GetUtcNow(),
        };
        try { await Organisations.AddEntityAsync(entity, ct); }
        catch (RequestFailedException ex) when (ex.Status == 409) { return null; }
        await audit.WriteAsync(input.Id, actor, "organisation.created", input.Id, ct);
        return ToView(entity);
    }

    public async Task<OrganisationView?> FindAsync(string id, CancellationToken ct)
    {
        if (!Caller.IsOrganisationId(id)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Organisations.GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: ct);
        return found.HasValue ? ToView(found.Value!) : null;
    }

    public async Task<IReadOnlyList<OrganisationView>> ListAsync(CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<OrganisationView>();
        await foreach (var e in Organisations.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: ct)) list.Add(ToView(e));
        return list;
    }

    /// <summary>A person's memberships: the one read the gate makes per person (cached by <see cref="MembershipCache"/>).</summary>
    public async Task<IReadOnlyList<MembershipView>> MembershipsOfAsync(string personId, CancellationToken ct)
    {
        if (cache.Get(personId) is { } cached) return cached;
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<MembershipView>();
        await foreach (var e in Memberships.QueryAsync<TableEntity>(e => e.PartitionKey == personId, cancellationToken: ct)) list.Add(ToMembership(e, e.RowKey, personId));
        cache.Set(personId, list);
        return list;
    }

    public async Task<IReadOnlyList<MembershipView>> MembersOfAsync(string organisationId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<MembershipView>();
        await foreach (var e in Members.QueryAsync<TableEntity>(e => e.PartitionKey == organisationId, cancellationToken: ct)) list.Add(ToMembership(e, organisationId, e.RowKey));
        return list.OrderBy(m => m.Since).ToList();
    }

    /// <summary>Invites someone: the token is returned once and only its hash kept.</summary>
    public async Task<InvitationView> InviteAsync(string organisationId, InvitationInput input, string actor, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var token = Ids.NewSecret();
        var id = Ids.New();
        var expires = time.GetUtcNow() + OrganisationRules.InvitationLifetime;
        // The email is kept for the admins' list of pending invitations and for delivery by mail once there is one.
        await Invitations.AddEntityAsync(new TableEntity(Ids.Fingerprint(token), "invitation")
        {
            ["Id"] = id, ["Organisation"] = organisationId, ["Role"] = input.Role.ToString(), ["Email"] = input.Email.Trim(), ["ExpiresAt"] = expires,
            ["CreatedBy"] = actor, ["CreatedAt"] = time.GetUtcNow(),
        }, ct);
        await audit.WriteAsync(organisationId, actor, "invitation.created", id, ct);
        return new InvitationView(id, organisationId, input.Role, expires, token);
    }

    /// <summary>The organisation's invitations not accepted yet (the table is small: invitations are purged a day after they expire).</summary>
    public async Task<IReadOnlyList<PendingInvitationView>> PendingAsync(string organisationId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var now = time.GetUtcNow();
        var list = new List<PendingInvitationView>();
        await foreach (var e in Invitations.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Organisation eq {organisationId}"), cancellationToken: ct))
            if (e.GetDateTimeOffset("AcceptedAt") is null && e.GetDateTimeOffset("ExpiresAt") is { } expires)
                list.Add(new PendingInvitationView(e.GetString("Id"), e.GetString("Email"), Enum.Parse<Role>(e.GetString("Role")),
                    e.GetDateTimeOffset("CreatedAt") ?? default, expires, expires <= now));
        return list.OrderBy(i => i.CreatedAt).ToList();
    }

    /// <summary>Withdraws a pending invitation (its token stops working); false when there is no such pending invitation.</summary>
    public async Task<bool> WithdrawAsync(string organisationId, string invitationId, string actor, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        await foreach (var e in Invitations.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Organisation eq {organisationId} and Id eq {invitationId}"), cancellationToken: ct))
        {
            if (e.GetDateTimeOffset("AcceptedAt") is not null) return false;
            await Invitations.DeleteEntityAsync(e.PartitionKey, e.RowKey, e.ETag, ct);
            await audit.WriteAsync(organisationId, actor, "invitation.withdrawn", invitationId, ct);
            return true;
        }
        return false;
    }

    public enum AcceptOutcome { Accepted, Unknown, Expired, Used, LastAdmin }

    /// <summary>What an invitation offers, read before accepting it: its organisation and role, or why it can no longer be accepted.</summary>
    public async Task<(AcceptOutcome? Refused, string? OrganisationId, Role Role)> LookAsync(string token, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Invitations.GetEntityIfExistsAsync<TableEntity>(Ids.Fingerprint(token), "invitation", cancellationToken: ct);
        if (!found.HasValue) return (AcceptOutcome.Unknown, null, default);
        var invitation = found.Value!;
        var role = Enum.Parse<Role>(invitation.GetString("Role"));
        AcceptOutcome? refused = invitation.GetDateTimeOffset("AcceptedAt") is not null ? AcceptOutcome.Used
            : invitation.GetDateTimeOffset("ExpiresAt") is not { } expires || expires <= time.GetUtcNow() ? AcceptOutcome.Expired : null;
        return (refused, invitation.GetString("Organisation"), role);
    }

    /// <summary>How long the person who spent an invitation may retry it when the membership was not written meanwhile (a failure in between).</summary>
    private static readonly TimeSpan UnfinishedRetry = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Binds the person to the invitation's organisation and role, once: the invitation is spent under its ETag, the
    /// membership written, then the invitation marked finished. A spent token is refused to anyone (audited), so that a
    /// removed or demoted member cannot replay it; only the person who spent it, within minutes, finishes an acceptance
    /// whose membership was never written. A member accepting an invitation to their own organisation takes its role,
    /// unless that would leave the organisation without an admin (refused, the invitation left unspent).
    /// </summary>
    public async Task<(AcceptOutcome Outcome, MembershipView? Membership)> AcceptAsync(string token, string personId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Invitations.GetEntityIfExistsAsync<TableEntity>(Ids.Fingerprint(token), "invitation", cancellationToken: ct);
        if (!found.HasValue) return (AcceptOutcome.Unknown, null);
        var invitation = found.Value!;
        var organisationId = invitation.GetString("Organisation");
        var invitationId = invitation.GetString("Id");
        var role = Enum.Parse<Role>(invitation.GetString("Role"));
        var now = time.GetUtcNow();
        if (invitation.GetDateTimeOffset("AcceptedAt") is { } acceptedAt)
        {
            if (invitation.GetBoolean("Finished") == false && invitation.GetString("AcceptedBy") == personId && now - acceptedAt < UnfinishedRetry)
                return await FinishAcceptAsync(invitation, organisationId, personId, role, acceptedAt, ct);
            await audit.WriteAsync(organisationId, personId, "invitation.replay-refused", invitationId, ct);
            return (AcceptOutcome.Used, null);
        }
        if (invitation.GetDateTimeOffset("ExpiresAt") is not { } expires || expires <= now) return (AcceptOutcome.Expired, null);
        if (await WouldLeaveNoAdminAsync(organisationId, personId, role, ct)) return (AcceptOutcome.LastAdmin, null);
        invitation["AcceptedAt"] = now;
        invitation["AcceptedBy"] = personId;
        invitation["Finished"] = false;
        invitation["Email"] = ""; // spent: the address is no longer needed
        try { await Invitations.UpdateEntityAsync(invitation, invitation.ETag, TableUpdateMode.Replace, ct); }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return await AcceptAsync(token, personId, ct); // someone spent it meanwhile: perhaps this very person, retrying
        }
        return await FinishAcceptAsync(invitation, organisationId, personId, role, now, ct);
    }

    private async Task<(AcceptOutcome, MembershipView?)> FinishAcceptAsync(TableEntity invitation, string organisationId, string personId, Role role,
        DateTimeOffset at, CancellationToken ct)
    {
        var (change, membership, _) = await CommitMemberAsync(organisationId, personId, role, at, null, ct);
        if (change == MemberChange.LastAdmin)
        {
            // Became the last admin meanwhile: the invitation is given back unspent, for someone else.
            var spent = await Invitations.GetEntityAsync<TableEntity>(invitation.PartitionKey, invitation.RowKey, cancellationToken: ct);
            foreach (var column in new[] { "AcceptedAt", "AcceptedBy", "Finished" }) spent.Value.Remove(column);
            await Invitations.UpdateEntityAsync(spent.Value, spent.Value.ETag, TableUpdateMode.Replace, ct);
            return (AcceptOutcome.LastAdmin, null);
        }
        await Invitations.UpdateEntityAsync(new TableEntity(invitation.PartitionKey, invitation.RowKey) { ["Finished"] = true }, ETag.All, TableUpdateMode.Merge, ct);
        await audit.WriteAsync(organisationId, personId, "membership.added", personId, ct,
            new Dictionary<string, string> { ["role"] = RoleCode(role), ["invitation"] = invitation.GetString("Id") });
        return (AcceptOutcome.Accepted, membership);
    }

    public enum MemberChange { Done, NotMember, LastAdmin, Unchanged }

    /// <summary>Changes a member's role; <see cref="MemberChange.LastAdmin"/> when it would leave the organisation without an admin.</summary>
    public async Task<MemberChange> ChangeRoleAsync(string organisationId, string personId, Role role, string actor, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var (change, _, from) = await CommitMemberAsync(organisationId, personId, role, time.GetUtcNow(), null, ct, mustExist: true);
        if (change == MemberChange.Done)
            await audit.WriteAsync(organisationId, actor, "membership.role-changed", personId, ct,
                new Dictionary<string, string> { ["from"] = RoleCode(from!.Value), ["role"] = RoleCode(role) });
        return change;
    }

    /// <summary>Removes a membership; <see cref="MemberChange.LastAdmin"/> when it is the last admin's. Takes effect on the person's next request on this instance.</summary>
    public async Task<MemberChange> RemoveAsync(string organisationId, string personId, string actor, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var (change, _, _) = await CommitMemberAsync(organisationId, personId, null, time.GetUtcNow(), null, ct, mustExist: true);
        if (change == MemberChange.LastAdmin) return change;
        // The person's own row goes after the organisation's (again, if a removal before stopped in between).
        await Memberships.DeleteEntityAsync(personId, organisationId, ETag.All, ct);
        cache.Forget(personId);
        if (change == MemberChange.NotMember) return change;
        // No more mail about the organisation's learners to someone who left it (their address goes with it).
        await preferences.ForgetAsync(new Notifications.Recipient(Notifications.RecipientKind.Staff, organisationId, personId), ct);
        await audit.WriteAsync(organisationId, actor, "membership.removed", personId, ct);
        return change;
    }

    /// <summary>Whether giving the person this role in the organisation (as a member now or not) would leave it without an admin.</summary>
    private async Task<bool> WouldLeaveNoAdminAsync(string organisationId, string personId, Role? role, CancellationToken ct)
    {
        var members = await MembersOfAsync(organisationId, ct);
        return members.FirstOrDefault(m => m.PersonId == personId) is { } member && OrganisationRules.LeavesNoAdmin(members, member, role);
    }

    /// <summary>
    /// Gives the person <paramref name="role"/> in the organisation (null: removes them), held by storage: one transaction
    /// in the organisation's partition writes the member's row on its ETag (or adds it) and, when the change takes an admin
    /// away, rewrites every other admin's row on the ETag read, so that concurrent changes each leaving another admin
    /// cannot all land; the loser reads again and is refused. Then the person's own row follows.
    /// </summary>
    /// <returns>What happened, the membership now (null when removed or refused), and the role the person held before (null: none).</returns>
    private async Task<(MemberChange, MembershipView?, Role? Before)> CommitMemberAsync(string organisationId, string personId, Role? role, DateTimeOffset since,
        string? charterVersion, CancellationToken ct, bool mustExist = false, bool addOnly = false) =>
        await Contention.RetryAsync(async () =>
        {
            var rows = new List<TableEntity>();
            await foreach (var e in Members.QueryAsync<TableEntity>(e => e.PartitionKey == organisationId, cancellationToken: ct)) rows.Add(e);
            var members = rows.Select(e => ToMembership(e, organisationId, e.RowKey)).ToList();
            var current = rows.FirstOrDefault(e => e.RowKey == personId);
            var member = members.FirstOrDefault(m => m.PersonId == personId);
            if (current is null && (mustExist || role is null)) return (MemberChange.NotMember, (MembershipView?)null, (Role?)null);
            if (member is not null && addOnly) return (MemberChange.Unchanged, member, member.Role);
            if (member is not null && OrganisationRules.LeavesNoAdmin(members, member, role)) return (MemberChange.LastAdmin, null, member.Role);
            if (member is not null && member.Role == role) return (MemberChange.Unchanged, member, member.Role);

            var actions = new List<TableTransactionAction>();
            var fields = new Dictionary<string, object> { ["PartitionKey"] = organisationId, ["RowKey"] = personId, ["Role"] = role.ToString()!, ["Since"] = member?.Since ?? since };
            // The charter accepted, and when, kept with the membership (a volunteer who signed up by themselves).
            if (charterVersion is not null) (fields["CharterVersion"], fields["CharterAcceptedAt"]) = (charterVersion, since);
            if (current is null) actions.Add(new(TableTransactionActionType.Add, new TableEntity(fields)));
            else if (role is null) actions.Add(new(TableTransactionActionType.Delete, current, current.ETag));
            else actions.Add(new(TableTransactionActionType.UpdateMerge, new TableEntity(fields), current.ETag));
            if (member?.Role == Role.Admin) // an admin goes: every admin who stays is read as it was, or the change is read again
                foreach (var admin in rows.Where(e => e.RowKey != personId && e.GetString("Role") == nameof(Role.Admin)))
                    actions.Add(new(TableTransactionActionType.UpdateMerge, new TableEntity(organisationId, admin.RowKey), admin.ETag));
            await Members.SubmitTransactionAsync(actions, ct);

            MembershipView? view = null;
            if (role is { } r)
            {
                fields["PartitionKey"] = personId; fields["RowKey"] = organisationId;
                await Memberships.UpsertEntityAsync(new TableEntity(fields), TableUpdateMode.Merge, ct);
                view = new MembershipView(organisationId, personId, r, member?.Since ?? since);
            }
            cache.Forget(personId);
            return (MemberChange.Done, view, member?.Role);
        }, ct, alsoLost: true);

    public enum SignUpOutcome { SignedUp, AlreadyMember, Closed, OldCharter }

    /// <summary>A person signs up by themselves as a mentor in a volunteer network open for it, accepting the current charter.</summary>
    public async Task<(SignUpOutcome Outcome, MembershipView? Membership)> SignUpVolunteerAsync(OrganisationView network, string personId, string charterVersion,
        CancellationToken ct)
    {
        if (network.Kind != OrganisationKind.VolunteerNetwork || !network.SelfSignUp) return (SignUpOutcome.Closed, null);
        if (charterVersion != Charter.Current.Version) return (SignUpOutcome.OldCharter, null);
        if ((await MembershipsOfAsync(personId, ct)).FirstOrDefault(m => m.OrganisationId == network.Id) is { } existing) return (SignUpOutcome.AlreadyMember, existing);
        var (change, membership, _) = await CommitMemberAsync(network.Id, personId, Role.Mentor, time.GetUtcNow(), charterVersion, ct, addOnly: true);
        if (change != MemberChange.Done) return (SignUpOutcome.AlreadyMember, (await MembershipsOfAsync(personId, ct)).FirstOrDefault(m => m.OrganisationId == network.Id) ?? membership);
        await audit.WriteAsync(network.Id, personId, "volunteer.signed-up", personId, ct, new Dictionary<string, string> { ["charter"] = charterVersion });
        return (SignUpOutcome.SignedUp, membership);
    }

    /// <summary>Opens or closes a volunteer network to sign-ups; null when it is not one.</summary>
    public async Task<OrganisationView?> SetSelfSignUpAsync(string organisationId, bool open, string actor, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Organisations.GetEntityIfExistsAsync<TableEntity>(Partition, organisationId, cancellationToken: ct);
        if (!found.HasValue || ToView(found.Value!).Kind != OrganisationKind.VolunteerNetwork) return null;
        var row = found.Value!;
        row["SelfSignUp"] = open;
        await Organisations.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Replace, ct);
        await audit.WriteAsync(organisationId, actor, open ? "self-sign-up.opened" : "self-sign-up.closed", organisationId, ct);
        return ToView(row);
    }

    private static MembershipView ToMembership(TableEntity e, string organisationId, string personId) =>
        new(organisationId, personId, Enum.TryParse<Role>(e.GetString("Role"), out var r) ? r : Role.Learner, e.GetDateTimeOffset("Since") ?? default);

    private static OrganisationView ToView(TableEntity e) => new(e.RowKey, e.GetString("Name"),
        Enum.TryParse<OrganisationKind>(e.GetString("Kind"), out var k) ? k : OrganisationKind.Ngo, e.GetString("Siret"), e.GetBoolean("SelfSignUp") ?? false,
        e.GetDateTimeOffset("CreatedAt") ?? default);

}
