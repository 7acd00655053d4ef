using Microsoft.Extensions.Options;
using Azure;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Notifications;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>A transition that no longer applies: answered 409 with the request's current status.</summary>
public sealed class TransitionRefusedException(RequestStatus? current, string title, string detail) : Exception(detail)
{
    /// <summary>The request's status now; null when it kept changing under concurrent changes.</summary>
    public RequestStatus? Current { get; } = current;
    public string Title { get; } = title;
}

/// <summary>
/// The request's second half: a proposal is chosen and offered to its mentor, who accepts or declines; offers and
/// proposals expire; a decline or expiry offers the next proposal still valid, and when none is left the request
/// is scored again without the mentors who declined it; a match ends with an outcome.
/// The request row (the NGO's partition) is the state; each change is conditioned on its ETag and checked by
/// <see cref="RequestLifecycle"/>. The mentor's capacity is bookkept in the mentor's partition
/// (<see cref="MentorDirectory"/>), taken before the request says "offered" and given back after it no longer does;
/// every offer has a deadline row, so a capacity unit left behind by a crash is given back at the deadline.
/// </summary>
public sealed class MentoringLifecycle(TableServiceClient tables, StorageProvisioner provisioner, MentorDirectory mentors,
    LearnerDirectory learners, MentoringDeadlines deadlines, FollowUpAlerts followUp, QueueSender queue, Outbox outbox, IOptions<MentoringOptions> options, TimeProvider time)
{
    private TableClient Requests => tables.GetTableClient(MentorRequests.Table);

    public TimeSpan OfferExpiry => options.Value.OfferExpiry;
    public TimeSpan ProposalExpiry => options.Value.ProposalExpiry;
    private static readonly TimeSpan RescoreGrace = TimeSpan.FromMinutes(5);

    /// <summary>The reason an offer that expired unanswered is recorded with among the declines.</summary>
    public const string ExpiredReason = "expired";

    /// <summary>The learner (or their NGO) chooses one proposal: it is offered to its mentor if they still have room.</summary>
    public async Task<MentorRequestRow?> ChooseAsync(Caller caller, string requestId, string mentorId, CancellationToken ct)
    {
        return await Contention.RetryAsync<MentorRequestRow?>(async () =>
        {
            var row = await MentorRequests.FindAsync(caller, requestId, tables, provisioner, ct);
            if (row is null) return null;
            var status = row.Status;
            if (status == RequestStatus.Offered && row.OfferedTo == mentorId) return row; // a retry
            Require(row, RequestEvent.Chosen, "The request has no proposals to choose from",
                "Only a request with proposals, none offered yet, can have one chosen.");
            if (!row.Planned.Contains(mentorId)) throw new ChoiceNotProposedException();

            var org = caller.OrganisationId;
            var now = time.GetUtcNow();
            await deadlines.AddAsync(MentoringDeadlines.Kind.Offer, org, requestId, mentorId, now + OfferExpiry, ct);
            var take = await mentors.TakeOfferAsync(mentorId, org, requestId, ct);
            if (take is OfferTake.Full or OfferTake.Paused or OfferTake.Gone)
                throw new TransitionRefusedException(status, "The mentor cannot take a new mentee now",
                    take == OfferTake.Gone ? "This mentor has left. Choose another proposal." : "This mentor has no room for a new mentee now. Choose another proposal.");
            Offer(row, mentorId, now, automatic: false);
            if (await TryReplaceAsync(row, ct, Awaiting(org, row, mentorId, now))) return row;
            await SettleMentorSideAsync(org, requestId, mentorId, ct); // changed meanwhile: read again
            throw Contention.Lost();
        }, ct, maxAttempts: 10, whenExhausted: () => throw Busy());
    }

    /// <summary>The mentor accepts the offer: a match is made, and only now each side sees the other's contact.</summary>
    public async Task<MentorRequestRow?> AcceptAsync(string mentorId, string requestId, CancellationToken ct)
    {
        return await Contention.RetryAsync<MentorRequestRow?>(async () =>
        {
            if (await OrgOfAsync(mentorId, requestId, ct) is not { } org) return null;
            var row = await RowAsync(org, requestId, ct);
            if (row is null) return null;
            if (row.Status is RequestStatus.Matched or RequestStatus.Ended && row.MentorId == mentorId)
            {
                await SettleMentorSideAsync(org, requestId, mentorId, ct); // a retry after a crash finishes the bookkeeping
                return row;
            }
            await RequireOfferedToAsync(row, org, mentorId, RequestEvent.Accepted, ct);
            var now = time.GetUtcNow();
            row.Status = RequestStatus.Matched;
            row.MentorId = mentorId;
            row.MatchedAt = now;
            row.OfferExpiresAt = null;
            row.AddHistory(new RequestHistoryEntry(now, RequestEvent.Accepted, mentorId));
            if (!await TryReplaceAsync(row, ct, NoticeOf(NoticeType.OfferAccepted, org, row, mentorId, now) with { Actor = "mentor" })) throw Contention.Lost();
            await mentors.AcceptOfferAsync(mentorId, org, requestId, ct);
            await followUp.WatchMatchAsync(org, requestId, now, ct);
            return row;
        }, ct, maxAttempts: 10, whenExhausted: () => throw Busy());
    }

    /// <summary>The mentor declines, with a reason: the next proposal still valid is offered, or the request is scored again.</summary>
    public async Task<MentorRequestRow?> DeclineAsync(string mentorId, string requestId, DeclineReason reason, string? note, CancellationToken ct)
    {
        if (await OrgOfAsync(mentorId, requestId, ct) is not { } org) return null;
        var row = await RowAsync(org, requestId, ct);
        if (row is null) return null;
        var code = RequestLifecycle.Code(reason);
        if (DeclinedAlready(row, mentorId, code)) return row; // a retry
        await RequireOfferedToAsync(row, org, mentorId, RequestEvent.Declined, ct);
        return await MoveOnAsync(org, row, mentorId, RequestEvent.Declined, code, note, ct);
    }

    /// <summary>
    /// This mentor's decline is already recorded: with the same reason it is a retry (told the same outcome);
    /// with another reason it is refused naming the recorded one, never silently dropped.
    /// </summary>
    private static bool DeclinedAlready(MentorRequestRow row, string mentorId, string reason)
    {
        if (row.Declines.LastOrDefault(d => d.MentorId == mentorId && d.Reason != ExpiredReason) is not { } recorded) return false;
        if (recorded.Reason == reason) return true;
        throw new TransitionRefusedException(row.Status, "The offer was already declined",
            Texts.Format("You declined it already, with the reason {0}.", recorded.Reason));
    }

    /// <summary>Cancels a request that has no match yet; an offer's capacity and the learner's slot are given back.</summary>
    public async Task<MentorRequestRow?> CancelAsync(Caller caller, string requestId, CancellationToken ct)
    {
        return await Contention.RetryAsync<MentorRequestRow?>(async () =>
        {
            var row = await MentorRequests.FindAsync(caller, requestId, tables, provisioner, ct);
            if (row is null) return null;
            if (row.Status == RequestStatus.Cancelled) return row;
            Require(row, RequestEvent.Cancelled, "The request can no longer be cancelled", "A matched request is ended instead (POST /api/matches/{id}/end).");
            var offeredTo = row.Status == RequestStatus.Offered ? row.OfferedTo : null;
            row.Status = RequestStatus.Cancelled;
            row.OfferExpiresAt = null;
            row.AddHistory(new RequestHistoryEntry(time.GetUtcNow(), RequestEvent.Cancelled));
            if (!await TryReplaceAsync(row, ct)) throw Contention.Lost();
            if (offeredTo is not null) await mentors.ReleaseOfferAsync(offeredTo, caller.OrganisationId, requestId, ct);
            await FreeLearnerSlotAsync(caller.OrganisationId, row, ct);
            return row;
        }, ct, maxAttempts: 10, whenExhausted: () => throw Busy());
    }

    /// <summary>Either side ends a match with an outcome; the mentor's capacity and the learner's slot are given back.</summary>
    public async Task<MentorRequestRow> EndAsync(string org, MentorRequestRow row, Role endedBy, MatchOutcome outcome, string? note, CancellationToken ct)
    {
        return await Contention.RetryAsync(async () =>
        {
            if (row.Status == RequestStatus.Ended) return row;
            Require(row, RequestEvent.MatchEnded, "The match is not active", "Only an active match can be ended.");
            var mentorId = row.MentorId ?? "";
            var now = time.GetUtcNow();
            row.Status = RequestStatus.Ended;
            row.EndedAt = now;
            row.Outcome = RequestLifecycle.Code(outcome);
            row.EndedBy = RequestLifecycle.Code(endedBy);
            row.EndNote = note;
            row.AddHistory(new RequestHistoryEntry(now, RequestEvent.MatchEnded, mentorId, RequestLifecycle.Code(outcome)));
            if (await TryReplaceAsync(row, ct, NoticeOf(NoticeType.MatchEnded, org, row, mentorId, now) with
                { Reason = RequestLifecycle.Code(outcome), Actor = endedBy == Role.Mentor ? "mentor" : "learner" }))
            {
                await mentors.AcceptOfferAsync(mentorId, org, row.Id, ct); // counted once, even if the accept's own bookkeeping never ran
                await mentors.EndMatchAsync(mentorId, org, row.Id, ct);
                await FreeLearnerSlotAsync(org, row, ct);
                return row;
            }
            row = await RowAsync(org, row.Id, ct) ?? throw new InvalidOperationException("The match disappeared.");
            throw Contention.Lost();
        }, ct, maxAttempts: 10, whenExhausted: () => throw Busy());
    }

    /// <summary>Handles one due deadline; whatever no longer applies is left as it is (a capacity unit left behind is given back).</summary>
    public async Task HandleDeadlineAsync(MentoringDeadlines.Due due, CancellationToken ct)
    {
        var row = await RowAsync(due.Org, due.RequestId, ct);
        var now = time.GetUtcNow();
        switch (due.Kind)
        {
            case MentoringDeadlines.Kind.Offer when due.Subject is { } mentorId:
                if (row is not null && row.Status == RequestStatus.Offered && row.OfferedTo == mentorId
                    && row.OfferExpiresAt is { } expires && expires <= now)
                    await MoveOnAsync(due.Org, row, mentorId, RequestEvent.OfferExpired, ExpiredReason, null, ct);
                else
                    await SettleMentorSideAsync(due.Org, due.RequestId, mentorId, ct);
                break;
            case MentoringDeadlines.Kind.Proposals when row is not null && row.Status == RequestStatus.Proposed
                && row.ProposalsExpireAt is { } proposalsExpire && proposalsExpire <= now:
                row.Status = RequestStatus.Expired;
                row.AddHistory(new RequestHistoryEntry(now, RequestEvent.ProposalsExpired));
                if (await TryReplaceAsync(row, ct)) await FreeLearnerSlotAsync(due.Org, row, ct);
                break; // changed meanwhile: it is no longer waiting for a choice, or the next run sees it again
            case MentoringDeadlines.Kind.Score when row is not null && row.Status == RequestStatus.Queued:
                await queue.SendAsync(MentorRequests.Queue, new MentorRequests.ScoreMessage(due.Org, due.RequestId), ct);
                break;
        }
    }

    /// <summary>
    /// After a decline or an expiry: offer the next proposal still valid (filters and capacity checked again), or,
    /// when none is left, queue the request to be scored again without the mentors who declined it.
    /// </summary>
    /// <param name="row">The request as just read; read again only when it changed meanwhile.</param>
    private async Task<MentorRequestRow> MoveOnAsync(string org, MentorRequestRow row, string fromMentor, RequestEvent e, string reason, string? note, CancellationToken ct)
    {
        var requestId = row.Id;
        var first = true; // the row as given is read again only after a loss
        return await Contention.RetryAsync(async () =>
        {
            if (!first) row = await RowAsync(org, requestId, ct) ?? throw new InvalidOperationException("The request disappeared.");
            first = false;
            if (row.Status != RequestStatus.Offered || row.OfferedTo != fromMentor)
            {
                // Moved on meanwhile. An expiry has nothing to say; a decline took effect only if it is the one recorded
                // (a concurrent retry), otherwise an accept (or the deadline) won and the decline is refused with the status.
                if (e != RequestEvent.Declined || DeclinedAlready(row, fromMentor, reason)) return row;
                throw new TransitionRefusedException(row.Status, "The offer is no longer open",
                    Texts.Format("The request is {0}: it can no longer be declined by you.", RequestLifecycle.Code(row.Status)));
            }
            var now = time.GetUtcNow();
            var declines = row.Declines.Append(new Decline(fromMentor, reason, now, note)).ToList();
            row.Declines = declines;
            row.AddHistory(new RequestHistoryEntry(now, e, fromMentor, reason));

            var next = await NextValidAsync(org, row, declines.Select(d => d.MentorId).ToHashSet(), now, ct);
            if (next is not null) Offer(row, next, now, automatic: true);
            else
            {
                await deadlines.AddAsync(MentoringDeadlines.Kind.Score, org, requestId, null, now + RescoreGrace, ct);
                row.Status = RequestStatus.Queued;
                row.Planned = [];
                row.OfferedTo = null;
                row.OfferExpiresAt = null;
                row.AddHistory(new RequestHistoryEntry(now, RequestEvent.Rescored));
            }
            var notices = new List<Notice>();
            if (e == RequestEvent.Declined)
                notices.Add(NoticeOf(NoticeType.OfferDeclined, org, row, fromMentor, now) with { Reason = reason, Then = next is null ? "rescoring" : "next-offered" });
            if (next is not null) notices.Add(Awaiting(org, row, next, now));
            if (!await TryReplaceAsync(row, ct, [.. notices]))
            {
                if (next is not null) await SettleMentorSideAsync(org, requestId, next, ct);
                throw Contention.Lost();
            }
            if (e == RequestEvent.Declined) await mentors.DeclineOfferAsync(fromMentor, org, requestId, ct);
            else await mentors.ReleaseOfferAsync(fromMentor, org, requestId, ct);
            if (next is null) await queue.SendAsync(MentorRequests.Queue, new MentorRequests.ScoreMessage(org, requestId), ct);
            return row;
        }, ct, maxAttempts: 10, whenExhausted: () => throw Busy());
    }

    /// <summary>The first remaining proposal whose mentor still passes the filters and has room, its capacity taken.</summary>
    private async Task<string?> NextValidAsync(string org, MentorRequestRow row, HashSet<string> declined, DateTimeOffset now, CancellationToken ct)
    {
        var learnerRow = await learners.RowAsync(org, row.LearnerId, ct);
        if (learnerRow is null || LearnerProfiles.Read(learnerRow) is not { } profile) return null;
        var week = WeeklyTime.WeekStart(now);
        var learner = new PreparedLearner(LearnerProfiles.ToEngine(row.LearnerId, profile), week);
        foreach (var mentorId in row.Planned)
        {
            if (declined.Contains(mentorId) || await mentors.FindAsync(mentorId, ct) is not { } mentor) continue;
            if (Filters.Check(learner, new PreparedMentor(mentor.Profile, week)) != Exclusion.None) continue;
            await deadlines.AddAsync(MentoringDeadlines.Kind.Offer, org, row.Id, mentorId, now + OfferExpiry, ct);
            if (await mentors.TakeOfferAsync(mentorId, org, row.Id, ct) is OfferTake.Taken or OfferTake.AlreadyHeld) return mentorId;
        }
        return null;
    }

    private void Offer(MentorRequestRow row, string mentorId, DateTimeOffset now, bool automatic)
    {
        row.Status = RequestStatus.Offered;
        row.OfferedTo = mentorId;
        row.OfferedAt = now;
        row.OfferExpiresAt = now + OfferExpiry;
        row.ProposalsExpireAt = null;
        row.AddHistory(new RequestHistoryEntry(now, RequestEvent.Chosen, mentorId, automatic ? "next-proposal" : "chosen"));
    }

    /// <summary>
    /// Makes the mentor's side say what the request row says, read now: still offered to them, nothing to do; matched
    /// with them (or ended), the match is counted (a stale decline or deadline must never give back a match's unit, which
    /// is how a match once went missing from the mentor's side); otherwise the offer's capacity is given back.
    /// </summary>
    private async Task SettleMentorSideAsync(string org, string requestId, string mentorId, CancellationToken ct)
    {
        var row = await RowAsync(org, requestId, ct);
        if (row is not null && row.Status == RequestStatus.Offered && row.OfferedTo == mentorId) return;
        if (row is not null && row.Status is RequestStatus.Matched or RequestStatus.Ended && row.MentorId == mentorId)
        {
            await mentors.AcceptOfferAsync(mentorId, org, requestId, ct);
            if (row.Status == RequestStatus.Ended) await mentors.EndMatchAsync(mentorId, org, requestId, ct);
            return;
        }
        await mentors.ReleaseOfferAsync(mentorId, org, requestId, ct);
    }

    private async Task RequireOfferedToAsync(MentorRequestRow row, string org, string mentorId, RequestEvent e, CancellationToken ct)
    {
        if (row.Status == RequestStatus.Offered && row.OfferedTo == mentorId) return;
        await SettleMentorSideAsync(org, row.Id, mentorId, ct); // an offer row left behind
        throw new TransitionRefusedException(row.Status, "The offer is no longer open",
            Texts.Format(e == RequestEvent.Accepted ? "The request is {0}: it can no longer be accepted by you." : "The request is {0}: it can no longer be declined by you.",
                RequestLifecycle.Code(row.Status)));
    }

    private static void Require(MentorRequestRow row, RequestEvent e, string title, string detail)
    {
        var status = row.Status;
        if (!RequestLifecycle.Allows(status, e)) throw new TransitionRefusedException(status, title, detail);
    }

    /// <summary>The organisation of the request a mentor holds an offer or a match for (their own partition says).</summary>
    private Task<string?> OrgOfAsync(string mentorId, string requestId, CancellationToken ct) =>
        Ids.IsValid(requestId) ? mentors.OrgOfAsync(mentorId, requestId, ct) : Task.FromResult<string?>(null);

    public async Task<MentorRequestRow?> RowAsync(string org, string requestId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        return await MentorRequestRow.FindAsync(Requests, org, requestId, ct);
    }

    /// <summary>Writes the request on its ETag with the notices of the change (one transaction), then announces them.</summary>
    private async Task<bool> TryReplaceAsync(MentorRequestRow row, CancellationToken ct, params Notice[] notices)
    {
        row.UpdatedAt = time.GetUtcNow();
        if (!await Outbox.TryReplaceAsync(Requests, row.Entity, notices, ct)) return false;
        await outbox.AnnounceAsync(MentorRequests.Table, row.Org, notices, ct);
        return true;
    }

    /// <summary>A notice about this request (its learner and, where one is concerned, its mentor).</summary>
    public static Notice NoticeOf(NoticeType type, string org, MentorRequestRow row, string? mentorId, DateTimeOffset now) =>
        Notice.New(type, org, now) with { RequestId = row.Id, LearnerId = row.LearnerId, MentorId = mentorId };

    private Notice Awaiting(string org, MentorRequestRow row, string mentorId, DateTimeOffset now) =>
        NoticeOf(NoticeType.OfferAwaiting, org, row, mentorId, now) with { When = now + OfferExpiry };

    internal async Task FreeLearnerSlotAsync(string org, MentorRequestRow request, CancellationToken ct)
    {
        var learnerId = request.LearnerId;
        var learner = await learners.RowAsync(org, learnerId, ct);
        if (learner?.ActiveRequestId == request.Id)
            try { await learners.FreeRequestSlotAsync(org, learnerId, learner.ETag, ct); }
            catch (RequestFailedException ex) when (ex.Status == 412) { } // a newer request took the slot
    }

    public sealed record Decline(string MentorId, string Reason, DateTimeOffset At, string? Note);

    private static TransitionRefusedException Busy() => new(null, "The request kept changing", "Read it again and retry.");
}

/// <summary>The chosen mentor is not one of the request's proposals: a 400 naming the field.</summary>
public sealed class ChoiceNotProposedException() : Exception("mentorId is not one of this request's proposals.");
