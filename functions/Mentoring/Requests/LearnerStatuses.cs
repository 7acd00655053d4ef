using Azure.Data.Tables;
using Matching.Learners;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>Where the learners of a staff list's block stand: their requests' statuses, read with one query for the block.</summary>
public sealed class LearnerStatuses(TableServiceClient tables, StorageProvisioner provisioner) : ILearnerStatuses
{
    public async Task<IReadOnlyDictionary<string, LearnerStatus>> StatusesAsync(string org, string firstLearnerId, string lastLearnerId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org} and LearnerId ge {firstLearnerId} and LearnerId le {lastLearnerId}");
        var statuses = new Dictionary<string, LearnerStatus>();
        await foreach (var e in tables.GetTableClient(MentorRequests.Table).QueryAsync<TableEntity>(filter, 1000, ["RowKey", "Status"], ct))
            statuses[e.RowKey] = Of(new MentorRequestRow(e).Status);
        return statuses;
    }

    /// <summary>The one mapping from a request's status to its learner's.</summary>
    public static LearnerStatus Of(RequestStatus status) => status switch
    {
        RequestStatus.Queued or RequestStatus.NoCandidates => LearnerStatus.WaitingForProposals,
        RequestStatus.Proposed => LearnerStatus.Proposed,
        RequestStatus.Offered => LearnerStatus.Offered,
        RequestStatus.Matched => LearnerStatus.Matched,
        _ => LearnerStatus.Ended, // ended, cancelled, expired: nothing open
    };
}
