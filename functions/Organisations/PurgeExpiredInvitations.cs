using Azure;
using Azure.Data.Tables;
using Matching.Security;
using Matching.Storage;

namespace Matching.Organisations;

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
