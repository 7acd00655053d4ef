using Azure.Data.Tables;
using Matching.Learners;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>Where each learner of a staff list's page stands: their latest request's status, read together (one point read each).</summary>
public sealed class LearnerStatuses(TableServiceClient tables, StorageProvisioner provisioner) : ILearnerStatuses
{
    public async Task<IReadOnlyDictionary<string, LearnerStatus>> StatusesAsync(string org, IReadOnlyList<(string LearnerId, string? RequestId)> latestRequests,
        CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var requests = tables.GetTableClient(MentorRequests.Table);
        var statuses = await Task.WhenAll(latestRequests.Select(async l =>
        {
            if (l.RequestId is null) return (l.LearnerId, LearnerStatus.NoRequest);
            var found = await requests.GetEntityIfExistsAsync<TableEntity>(org, l.RequestId, ["Status"], ct);
            return (l.LearnerId, found.HasValue ? Of(MentoringLifecycle.Status(found.Value!)) : LearnerStatus.NoRequest);
        }));
        return statuses.ToDictionary(s => s.Item1, s => s.Item2);
    }

    public async Task<(IReadOnlyList<(string LearnerId, string RequestId)> Requests, string? Next)> RequestsMakingAsync(string org, LearnerStatus status, int count,
        string? continuation, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var making = Enum.GetValues<RequestStatus>().Where(s => Of(s) == status).Select(s => TableClient.CreateQueryFilter($"Status eq {s.ToString()}"));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org}") + " and (" + string.Join(" or ", making) + ")";
        await foreach (var page in tables.GetTableClient(MentorRequests.Table).QueryAsync<TableEntity>(filter, count, ["RowKey", "LearnerId"], ct).AsPages(continuation, count))
            return (page.Values.Select(e => (e.GetString("LearnerId"), e.RowKey)).ToList(), page.ContinuationToken);
        return ([], null);
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
