using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Engine;
using Matching.Platform;
using Matching.Storage;
using Microsoft.Extensions.Options;

namespace Matching.Mentoring;

/// <summary>
/// Scores a request (again, after every proposal was declined or expired: without the mentors who declined).
/// Idempotent: only a queued request is scored, and the proposals and the new status are written in one
/// conditional update; proposals hold no capacity. A cancellation in between wins on the ETag.
/// </summary>
public sealed class ScoreMentorRequest(TableServiceClient tables, StorageProvisioner provisioner, LearnerDirectory learners,
    MentorSnapshot snapshot, ModelStore models, MentoringLifecycle lifecycle, MentoringDeadlines deadlines, FollowUpAlerts followUp, IOptions<MentoringOptions> options,
    TimeProvider time, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, LoadSpread spread, Notifications.Outbox outbox)
{
    [Function(MentorRequests.FunctionName)]
    public async Task RunAsync([QueueTrigger(MentorRequests.Queue)] string message, string id, long dequeueCount, CancellationToken ct)
    {
        var m = new QueueMessage(id, message, dequeueCount).ReadJson<MentorRequests.ScoreMessage>(json.Value.SerializerOptions);
        await provisioner.EnsureReadyAsync(ct);
        var table = tables.GetTableClient(MentorRequests.Table);
        // Changed meanwhile (a cancellation): read again; five losses in a row leave it to the scoring deadline.
        await Contention.RetryAsync(async () =>
        {
            var request = await MentorRequestRow.FindAsync(table, m.Org ?? "", m.RequestId ?? "", ct)
                ?? throw new InvalidQueueMessageException($"Request {m.RequestId} does not exist.");
            if (!RequestLifecycle.Allows(request.Status, RequestEvent.Scored)) return; // done, or cancelled
            var proposed = await PlanAsync(m.Org!, request, ct);
            var now = time.GetUtcNow();
            if (proposed)
            {
                var expires = now + lifecycle.ProposalExpiry;
                await deadlines.AddAsync(MentoringDeadlines.Kind.Proposals, m.Org!, request.Id, null, expires, ct);
                await followUp.WatchProposalsAsync(m.Org!, request.Id, now, ct);
                request.ProposalsExpireAt = expires;
            }
            request.Status = proposed ? RequestStatus.Proposed : RequestStatus.NoCandidates;
            request.UpdatedAt = now;
            request.AddHistory(new RequestHistoryEntry(now, RequestEvent.Scored, Reason: request.Scorer));
            Notifications.Notice[] notices = proposed
                ? [MentoringLifecycle.NoticeOf(Notifications.NoticeType.ProposalsReady, m.Org!, request, null, now) with { When = request.ProposalsExpireAt }]
                : [MentoringLifecycle.NoticeOf(Notifications.NoticeType.NoCandidates, m.Org!, request, null, now)]; // staff can widen the request and ask again
            if (!await Notifications.Outbox.TryReplaceAsync(table, request.Entity, notices, ct)) throw Contention.Lost();
            await outbox.AnnounceAsync(MentorRequests.Table, m.Org!, notices, ct);
            if (!proposed) await lifecycle.FreeLearnerSlotAsync(m.Org!, request, ct);
        }, ct, maxAttempts: 5, whenExhausted: () => { });
    }

    /// <summary>Fills the request's proposals (or the reasons there are none); true when there is at least one.</summary>
    private async Task<bool> PlanAsync(string org, MentorRequestRow request, CancellationToken ct)
    {
        using var activity = Telemetry.Source.StartActivity("mentoring.match");
        var goals = request.Goals;
        var learnerRow = await learners.RowAsync(org, request.LearnerId, ct);
        var profile = learnerRow is null ? null : LearnerProfiles.Read(learnerRow);
        var proposals = new List<MentorRequests.ProposalView>();
        var reasons = new List<MentorRequests.ReasonView>();
        string scorerName;
        if (profile is null)
        {
            reasons.Add(new MentorRequests.ReasonView("learner-profile-missing", "the learner or their matching profile no longer exists", 0));
            scorerName = "none";
        }
        else
        {
            var (pool, week) = await snapshot.GetAsync(ct);
            var scorer = await models.CurrentAsync(ct);
            scorerName = scorer.Name;
            var k = options.Value.ProposalsPerRequest;
            var started = Stopwatch.GetTimestamp();
            var declined = request.Declines.Select(d => d.MentorId).ToHashSet(StringComparer.Ordinal);
            var learner = LearnerProfiles.ToEngine(request.LearnerId, profile);
            var share = options.Value.ExplorationShare;
            var result = Matcher.Match(new MatchRequest(learner, goals, request.GoalText), pool, scorer, Exploration.Ranked(k, share), week, declined, spread);
            var (shown, propensities) = Exploration.Choose(result.Proposals, k, share, Random.Shared);
            spread.Proposed(shown.Select(p => p.MentorId));
            activity?.SetTag("matching.mentors", pool.Count);
            activity?.SetTag("matching.candidates", result.CandidatesScored);
            activity?.SetTag("matching.proposals", shown.Count);
            activity?.SetTag("matching.scorer", scorer.Name);
            Telemetry.MatchDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("scorer", scorer.Name));
            var logged = new List<double>();
            foreach (var (p, propensity) in shown.Zip(propensities))
            {
                var mentor = snapshot.Find(p.MentorId);
                if (mentor is null) continue;
                logged.Add(propensity);
                // No contact details in a proposal: they are shared only once a match is accepted.
                proposals.Add(new MentorRequests.ProposalView(p.MentorId, mentor.DisplayName, mentor.Profile.Expertise, mentor.Profile.Occupation,
                    mentor.Profile.Modes, p.Score, ExplanationWords.Text(p.Reasons), p.Factors, p.Reasons.Because, p.Reasons.Against));
            }
            if (proposals.Count > 0) ScoringRounds.Add(request, learner, proposals.Select(p => snapshot.Find(p.MentorId)!.Profile).ToList(), logged, scorer.Name, time.GetUtcNow());
            if (proposals.Count == 0)
                reasons.AddRange(result.Reasons.Select(r => new MentorRequests.ReasonView(Filters.Code(r), ExplanationWords.Describe(r), result.Excluded[r])));
            if (proposals.Count == 0 && reasons.Count == 0) reasons.Add(new MentorRequests.ReasonView("no-mentors", "no mentor is registered yet", 0));
            Telemetry.Proposals.Add(proposals.Count, new KeyValuePair<string, object?>("scorer", scorer.Name));
        }
        request.Planned = proposals.Select(p => p.MentorId).ToList();
        request.Proposals = proposals;
        request.Reasons = reasons;
        request.Scorer = scorerName;
        return proposals.Count > 0;
    }
}
