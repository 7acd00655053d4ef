using Azure.Data.Tables;
using Matching.Mentoring.Sessions;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>A session as reports count it: who checked in, whether it was held (and for how long), the ratings given.</summary>
public sealed record SessionFacts(IReadOnlyList<Attendance> Answers, bool CountedHeld, TimeSpan Length, IReadOnlyList<int> Ratings);

/// <summary>A request as reports count it.</summary>
public sealed record RequestFacts(RequestStatus Status, DateTimeOffset? CreatedAt, DateTimeOffset? MatchedAt, string? Outcome,
    IReadOnlyList<string> DeclineReasons, IReadOnlyList<SessionFacts> Sessions);

/// <summary>What reports read about mentoring: facts, not rows. One organisation's partition or one programme's requests, streamed.</summary>
public sealed class MentoringFacts(TableServiceClient tables, StorageProvisioner provisioner, SessionBook sessions)
{
    public IAsyncEnumerable<RequestFacts> OfOrganisationAsync(string org, CancellationToken ct) =>
        RequestsAsync(TableClient.CreateQueryFilter($"PartitionKey eq {org}") + " and " + Notifications.Outbox.NotOutbox, ct);

    /// <summary>A programme's requests: all of them, or one NGO's only.</summary>
    public IAsyncEnumerable<RequestFacts> OfProgrammeAsync(string programmeId, string? onlyOrg, CancellationToken ct) =>
        RequestsAsync(onlyOrg is null
            ? TableClient.CreateQueryFilter($"ProgrammeId eq {programmeId}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {onlyOrg} and ProgrammeId eq {programmeId}"), ct);

    private async IAsyncEnumerable<RequestFacts> RequestsAsync(string filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        await foreach (var entity in tables.GetTableClient(MentorRequests.Table).QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            var r = new MentorRequestRow(entity);
            var held = r.MatchedAt is null ? [] : (await sessions.ListAsync(r.Org, r.Id, ct)).Select(Facts).ToList();
            yield return new RequestFacts(r.Status, r.CreatedAt, r.MatchedAt, r.Outcome, r.Declines.Select(d => d.Reason).ToList(), held);
        }
    }

    private static SessionFacts Facts(SessionRow s)
    {
        Party[] sides = [Party.Mentor, Party.Learner];
        return new SessionFacts(sides.Select(s.AttendanceOf).OfType<Attendance>().ToList(), s.CountedHeld, s.End - s.Start,
            sides.Select(s.RatingOf).OfType<int>().ToList());
    }
}
