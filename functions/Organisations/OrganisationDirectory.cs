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
/// list) and <c>invitations</c> (keyed by the token's hash: the token itself is never stored). A membership is written
/// to <c>members</c> first and to <c>memberships</c> last, and removed in the other order, so that it takes effect only
/// once it is listed, and stops taking effect before it is unlisted.
/// </summary>
public sealed class OrganisationDirectory(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time, MembershipCache cache, AuditTrail audit,
    Notifications.PreferenceBook preferences)
{
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

    public enum AcceptOutcome { Accepted, Unknown, Expired, Used }

    /// <summary>
    /// Binds the person to the invitation's organisation and role, once: the invitation is spent under its ETag, then the
    /// membership written. The same person accepting again (a retry after a failure in between) gets the same membership.
    /// </summary>
    public async Task<(AcceptOutcome Outcome, MembershipView? Membership)> AcceptAsync(string token, string personId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Invitations.GetEntityIfExistsAsync<TableEntity>(Ids.Fingerprint(token), "invitation", cancellationToken: ct);
        if (!found.HasValue) return (AcceptOutcome.Unknown, null);
        var invitation = found.Value!;
        var organisationId = invitation.GetString("Organisation");
        var role = Enum.Parse<Role>(invitation.GetString("Role"));
        if (invitation.GetDateTimeOffset("AcceptedAt") is { } acceptedAt)
            return invitation.GetString("AcceptedBy") == personId
                ? (AcceptOutcome.Accepted, await AddMemberAsync(organisationId, personId, role, acceptedAt, ct))
                : (AcceptOutcome.Used, null);
        if (invitation.GetDateTimeOffset("ExpiresAt") is not { } expires || expires <= time.GetUtcNow()) return (AcceptOutcome.Expired, null);
        var now = time.GetUtcNow();
        invitation["AcceptedAt"] = now;
        invitation["AcceptedBy"] = personId;
        invitation["Email"] = ""; // spent: the address is no longer needed
        try { await Invitations.UpdateEntityAsync(invitation, invitation.ETag, TableUpdateMode.Replace, ct); }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return await AcceptAsync(token, personId, ct); // someone spent it meanwhile: perhaps this very person, retrying
        }
        var membership = await AddMemberAsync(organisationId, personId, role, now, ct);
        await audit.WriteAsync(organisationId, personId, "membership.added", $"{personId} as {role.ToString().ToLowerInvariant()} (invitation {invitation.GetString("Id")})", ct);
        return (AcceptOutcome.Accepted, membership);
    }

    /// <summary>Changes a member's role (written where it takes effect last, as a new membership is); false when there is no such member.</summary>
    public async Task<bool> ChangeRoleAsync(string organisationId, string personId, Role role, string actor, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Members.GetEntityIfExistsAsync<TableEntity>(organisationId, personId, cancellationToken: ct);
        if (!found.HasValue) return false;
        var from = found.Value!.GetString("Role");
        foreach (var (client, pk, rk) in new[] { (Members, organisationId, personId), (Memberships, personId, organisationId) })
            await client.UpdateEntityAsync(new TableEntity(pk, rk) { ["Role"] = role.ToString() }, ETag.All, TableUpdateMode.Merge, ct);
        cache.Forget(personId);
        await audit.WriteAsync(organisationId, actor, "membership.role-changed", $"{personId} from {from.ToLowerInvariant()} to {role.ToString().ToLowerInvariant()}", ct);
        return true;
    }

    /// <summary>Removes a membership; false when there was none. Takes effect on the person's next request on this instance.</summary>
    public async Task<bool> RemoveAsync(string organisationId, string personId, string actor, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var removed = (await Memberships.DeleteEntityAsync(personId, organisationId, ETag.All, ct)).Status != 404;
        cache.Forget(personId);
        removed |= (await Members.DeleteEntityAsync(organisationId, personId, ETag.All, ct)).Status != 404;
        // No more mail about the organisation's learners to someone who left it (their address goes with it).
        await preferences.ForgetAsync(new Notifications.Recipient(Notifications.RecipientKind.Staff, organisationId, personId), ct);
        if (removed) await audit.WriteAsync(organisationId, actor, "membership.removed", personId, ct);
        return removed;
    }

    public enum SignUpOutcome { SignedUp, AlreadyMember, Closed, OldCharter }

    /// <summary>A person signs up by themselves as a mentor in a volunteer network open for it, accepting the current charter.</summary>
    public async Task<(SignUpOutcome Outcome, MembershipView? Membership)> SignUpVolunteerAsync(OrganisationView network, string personId, string charterVersion,
        CancellationToken ct)
    {
        if (network.Kind != OrganisationKind.VolunteerNetwork || !network.SelfSignUp) return (SignUpOutcome.Closed, null);
        if (charterVersion != Charter.Current.Version) return (SignUpOutcome.OldCharter, null);
        if ((await MembershipsOfAsync(personId, ct)).FirstOrDefault(m => m.OrganisationId == network.Id) is { } existing) return (SignUpOutcome.AlreadyMember, existing);
        var membership = await AddMemberAsync(network.Id, personId, Role.Mentor, time.GetUtcNow(), ct, charterVersion);
        await audit.WriteAsync(network.Id, personId, "volunteer.signed-up", $"{personId} (charter {charterVersion})", ct);
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

    private async Task<MembershipView> AddMemberAsync(string organisationId, string personId, Role role, DateTimeOffset since, CancellationToken ct,
        string? charterVersion = null)
    {
        var fields = new Dictionary<string, object> { ["Role"] = role.ToString(), ["Since"] = since };
        // The charter accepted, and when, kept with the membership (a volunteer who signed up by themselves).
        if (charterVersion is not null) (fields["CharterVersion"], fields["CharterAcceptedAt"]) = (charterVersion, since);
        await Members.UpsertEntityAsync(new TableEntity(new Dictionary<string, object>(fields) { ["PartitionKey"] = organisationId, ["RowKey"] = personId }), TableUpdateMode.Replace, ct);
        await Memberships.UpsertEntityAsync(new TableEntity(new Dictionary<string, object>(fields) { ["PartitionKey"] = personId, ["RowKey"] = organisationId }), TableUpdateMode.Replace, ct);
        cache.Forget(personId);
        return new MembershipView(organisationId, personId, role, since);
    }

    private static MembershipView ToMembership(TableEntity e, string organisationId, string personId) =>
        new(organisationId, personId, Enum.TryParse<Role>(e.GetString("Role"), out var r) ? r : Role.Learner, e.GetDateTimeOffset("Since") ?? default);

    private static OrganisationView ToView(TableEntity e) => new(e.RowKey, e.GetString("Name"),
        Enum.TryParse<OrganisationKind>(e.GetString("Kind"), out var k) ? k : OrganisationKind.Ngo, e.GetString("Siret"), e.GetBoolean("SelfSignUp") ?? false,
        e.GetDateTimeOffset("CreatedAt") ?? default);

}

/// <summary>
/// Each instance keeps a person's memberships for a short while, so that resolving the caller costs no storage call on
/// most requests. A change made on this instance forgets the person at once; another instance sees it within
/// <see cref="Lifetime"/>.
/// </summary>
public sealed class MembershipCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset Until, IReadOnlyList<MembershipView> Memberships)> _entries = new();

    public IReadOnlyList<MembershipView>? Get(string personId) =>
        _entries.TryGetValue(personId, out var e) && e.Until > time.GetUtcNow() ? e.Memberships : null;

    public void Set(string personId, IReadOnlyList<MembershipView> memberships)
    {
        if (_entries.Count > 100_000) _entries.Clear(); // bounded: a flood of distinct people cannot grow it without end
        _entries[personId] = (time.GetUtcNow() + Lifetime, memberships);
    }

    public void Forget(string personId) => _entries.TryRemove(personId, out _);
}

/// <summary>
/// Who did what, when, per organisation (<c>audit</c> table, partition = the organisation, newest first): ids and
/// actions only, no names, emails or free text.
/// </summary>
public sealed class AuditTrail(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Table = "audit";
    private TableClient Client => tables.GetTableClient(Table);

    public async Task WriteAsync(string organisationId, string actor, string action, string? target, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var now = time.GetUtcNow();
        // Reverse ticks: a partition query returns the newest first.
        var key = $"{DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks:D19}-{Ids.New()[..8]}";
        await Client.AddEntityAsync(new TableEntity(organisationId, key) { ["At"] = now, ["Actor"] = actor, ["Action"] = action, ["Target"] = target }, ct);
    }

    public async Task<IReadOnlyList<AuditEntry>> ListAsync(string organisationId, int max, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<AuditEntry>();
        await foreach (var e in Client.QueryAsync<TableEntity>(e => e.PartitionKey == organisationId, maxPerPage: max, cancellationToken: ct))
        {
            list.Add(new AuditEntry(e.GetDateTimeOffset("At") ?? default, e.GetString("Actor"), e.GetString("Action"), e.GetString("Target")));
            if (list.Count >= max) break;
        }
        return list;
    }
}

/// <summary>
/// Deletes invitations a day after they expired, accepted or not: the invitee's email address goes with them (the
/// audit keeps that an invitation was made and accepted, by id).
/// </summary>
public sealed class PurgeExpiredInvitations(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Schedule = "PurgeInvitationsSchedule";

    [Microsoft.Azure.Functions.Worker.Function("PurgeExpiredInvitations")]
    public async Task RunAsync([Microsoft.Azure.Functions.Worker.TimerTrigger("%" + Schedule + "%")] Microsoft.Azure.Functions.Worker.TimerInfo timer, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var table = tables.GetTableClient(OrganisationDirectory.InvitationsTable);
        var cutoff = time.GetUtcNow().AddDays(-1);
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ExpiresAt lt {cutoff}"), select: ["PartitionKey", "RowKey"], cancellationToken: ct))
            await table.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, ct);
    }
}
