using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.Extensions.Options;

namespace Matching.Mentoring;

/// <summary>
/// A learner asks for a mentor (the NGO for its learner, or the learner for themself): 202 and a status URL;
/// the <c>ScoreMentorRequest</c> queue function filters, scores and stores the top-K proposals. What happens next
/// (choice, offer, acceptance, match) is <see cref="MentoringLifecycle"/>.
/// </summary>
public static class MentorRequests
{
    public const string Table = "mentorrequests";
    public const string Queue = "mentor-requests";
    public const string FunctionName = "ScoreMentorRequest";

    public sealed record CreateRequest(string LearnerId, IReadOnlyList<Expertise> Goals, string? GoalText = null, string? ProgrammeId = null);

    /// <param name="DisplayName">Null once the mentor erased their data.</param>
    /// <param name="Explanation">In the reader's language, built when read from <paramref name="Because"/> and <paramref name="Against"/>.</param>
    /// <param name="Because">The features that weighed most for this mentor (names as in <paramref name="Factors"/>).</param>
    /// <param name="Against">The feature that counted most against them, if one did.</param>
    public sealed record ProposalView(string MentorId, string? DisplayName, IReadOnlyList<Expertise> Expertise, string? Occupation,
        IReadOnlyList<SessionMode> Modes, double Score, string Explanation, IReadOnlyList<Explanations.Factor> Factors,
        IReadOnlyList<string>? Because = null, string? Against = null);

    public sealed record ReasonView(string Code, string Description, int Mentors);

    public sealed record RequestOfferView(string MentorId, string? DisplayName, DateTimeOffset OfferedAt, DateTimeOffset? ExpiresAt);

    /// <summary>A mentor's decline or an offer that expired; the mentor's note is shown to the NGO's staff only.</summary>
    public sealed record DeclineView(string MentorId, string Reason, DateTimeOffset At, string? Note);

    public sealed record RequestView(string Id, string LearnerId, IReadOnlyList<Expertise> Goals, string? GoalText, RequestStatus Status,
        IReadOnlyList<ProposalView> Proposals, IReadOnlyList<ReasonView> Reasons, string? Scorer, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
        DateTimeOffset? ProposalsExpireAt, RequestOfferView? Offer, IReadOnlyList<DeclineView> Declines, string? MatchId, string? ProgrammeId);

    internal sealed record ScoreMessage(string Org, string RequestId);

    /// <summary>One line of the staff's list: the request, its learner, where it stands and how long the learner has waited
    /// (to now while open, to the match once matched, to the close otherwise).</summary>
    public sealed record RequestSummary(string Id, string LearnerId, IReadOnlyList<Expertise> Goals, RequestStatus Status, DateTimeOffset CreatedAt,
        DateTimeOffset UpdatedAt, DateTimeOffset? MatchedAt, double WaitedDays);

    public sealed record RequestPage(IReadOnlyList<RequestSummary> Items, string? ContinuationToken);

    /// <summary>
    /// A page of the organisation's requests, of one status or one learner when asked, each with how long its learner has
    /// waited: the organisation's partition, filtered by the service, reading only the columns the list shows. A token this
    /// query did not give is the service's 400 (<see cref="RequestFailedException"/>).
    /// </summary>
    public static async Task<RequestPage> PageAsync(TableServiceClient tables, StorageProvisioner provisioner, string org, RequestStatus? status, string? learnerId,
        int size, string? token, DateTimeOffset now, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org}") + " and " + Notifications.Outbox.NotOutbox
            + (status is { } s ? " and " + TableClient.CreateQueryFilter($"Status eq {s.ToString()}") : "")
            + (learnerId is not null ? " and " + TableClient.CreateQueryFilter($"LearnerId eq {learnerId}") : "");
        var items = new List<RequestSummary>();
        string? next = null;
        await foreach (var page in tables.GetTableClient(Table).QueryAsync<TableEntity>(filter, size, MentorRequestRow.SummaryColumns, ct).AsPages(token, size))
        {
            items.AddRange(page.Values.Select(e => ToSummary(new MentorRequestRow(e), now)));
            next = page.ContinuationToken;
            if (items.Count > 0 || next is null) break; // a filtered page can come back empty with a token: read on
        }
        return new RequestPage(items, next);
    }

    public static RequestSummary ToSummary(MentorRequestRow e, DateTimeOffset now)
    {
        var status = e.Status;
        var created = e.CreatedAt ?? default;
        var matched = e.MatchedAt;
        var until = matched ?? (RequestLifecycle.HoldsLearnerSlot(status) ? now : e.UpdatedAt ?? now);
        return new RequestSummary(e.Id, e.LearnerId, e.Goals, status, created, e.UpdatedAt ?? created, matched,
            Math.Round(Math.Max(0, (until - created).TotalDays), 1));
    }

    internal static async Task<MentorRequestRow?> FindAsync(Caller caller, string requestId, TableServiceClient tables, StorageProvisioner provisioner, CancellationToken ct)
    {
        if (!Ids.IsValid(requestId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        // The NGO's organisation is the partition: another organisation's request is not found.
        var row = await MentorRequestRow.FindAsync(tables.GetTableClient(Table), caller.OrganisationId, requestId, ct);
        return caller.Role == Role.Learner && row?.LearnerId != caller.SubjectId ? null : row;
    }

    public static RequestView ToView(MentorRequestRow e, bool forStaff = false)
    {
        var proposals = e.Proposals
            .Select(p => p.Because is { } because ? p with { Explanation = ExplanationWords.Text(new Explanations.Reasons(because, p.Against)) } : p).ToArray();
        var status = e.Status;
        var offer = status == RequestStatus.Offered && e.OfferedTo is { } to
            ? new RequestOfferView(to, proposals.FirstOrDefault(p => p.MentorId == to)?.DisplayName, e.OfferedAt ?? default, e.OfferExpiresAt)
            : null;
        return new RequestView(
            e.Id, e.LearnerId, e.Goals, e.GoalText, status, proposals,
            e.Reasons.Select(r => r with { Description = Texts.Localize(r.Description) }).ToArray(),
            e.Scorer, e.CreatedAt ?? default, e.UpdatedAt ?? default,
            status == RequestStatus.Proposed ? e.ProposalsExpireAt : null, offer,
            e.Declines.Select(d => new DeclineView(d.MentorId, d.Reason, d.At, forStaff ? d.Note : null)).ToList(),
            status is RequestStatus.Matched or RequestStatus.Ended ? e.Id : null, e.ProgrammeId);
    }
}
