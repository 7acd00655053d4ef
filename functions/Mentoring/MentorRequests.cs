using System.Diagnostics;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;
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
        var found = await tables.GetTableClient(Table).GetEntityIfExistsAsync<TableEntity>(caller.OrganisationId, requestId, cancellationToken: ct);
        if (!found.HasValue) return null;
        var row = new MentorRequestRow(found.Value!);
        return caller.Role == Role.Learner && row.LearnerId != caller.SubjectId ? null : row;
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

[Tags("Mentoring"), RequireRoles(Role.Ngo, Role.Learner)]
public sealed class MentorRequestFunctions(LearnerDirectory learners, TableServiceClient tables, StorageProvisioner provisioner,
    QueueSender queue, MentoringLifecycle lifecycle, ProgrammeDirectory programmes, AbuseLimits limits, TimeProvider time,
    ILogger<MentorRequestFunctions> logger)
{
    [Function("RequestMentor")]
    [EndpointSummary("Asks for a mentor for one learner (an NGO for its learner, or a learner for themself); 202 with a status URL.")]
    [EndpointDescription("One active request per learner (queued, proposed, offered or matched): a second one is a 409 until the first is cancelled or its match ends.")]
    [AcceptsBody(typeof(MentorRequests.CreateRequest)), ProducesResponseType<MentorRequests.RequestView>(StatusCodes.Status202Accepted), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict), ProducesProblem(StatusCodes.Status429TooManyRequests)]
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "mentor-requests")] HttpRequest req, CancellationToken ct)
    {
        var body = await req.ReadJsonAsync<MentorRequests.CreateRequest>(ct);
        var caller = req.HttpContext.Caller();
        var v = new Validation()
            .Require(body.Goals is { Count: >= 1 and <= 8 } && body.Goals.All(Enum.IsDefined) && body.Goals.Distinct().Count() == body.Goals.Count,
                "goals", "1 to 8 distinct goals, e.g. cvReview, professionalProject.")
            .Require(body.GoalText is null || body.GoalText.Length <= 1000, "goalText", "At most 1000 characters.");
        if (!v.IsValid) return v.ToResult();
        // A learner asks only for themself; an NGO only for its own learners.
        if (caller.Role == Role.Learner && body.LearnerId != caller.SubjectId) return Problems.NotFound("The learner");
        if (await limits.TakeAsync(caller.OrganisationId, AbuseLimits.Operation.MentorRequests, ct) is { } tooMany) return tooMany;
        var row = await learners.RowAsync(caller.OrganisationId, body.LearnerId ?? "", ct);
        if (row is null) return Problems.NotFound("The learner");
        if (LearnerProfiles.Read(row) is null)
            return Problems.Validation(new Dictionary<string, string[]> { ["learnerId"] = ["Set the learner's matching profile first (PUT /api/learners/{id}/profile)."] });
        if (body.ProgrammeId is { } programmeId)
        {
            if (await programmes.FindAsync(programmeId, ct) is not { } programme)
                return Problems.Validation(new Dictionary<string, string[]> { ["programmeId"] = ["No such programme."] });
            if (programmes.WhyClosed(programme, body.Goals) is { } why)
                return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.ProgrammeUnavailable, "The programme takes no new request", why);
        }

        var requests = tables.GetTableClient(MentorRequests.Table);
        if (row.ActiveRequestId is { Length: > 0 } active
            && await lifecycle.RowAsync(caller.OrganisationId, active, ct) is { } existing
            && RequestLifecycle.HoldsLearnerSlot(existing.Status))
            // The advice must work for the status it is in: a match is ended, not cancelled (issue 29, item 10).
            return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The learner already has an active request",
                existing.Status == RequestStatus.Matched
                    ? Texts.Format("The learner is matched (request {0}): end the match first with POST /api/matches/{0}/end, or follow it at /api/matches/{0}.", active)
                    : Texts.Format("Cancel request {0} first with POST /api/mentor-requests/{0}/cancel, or follow it at /api/mentor-requests/{0}.", active));

        var id = Ids.New();
        var now = time.GetUtcNow();
        try
        {
            // Claim the learner's single active slot first: a concurrent request loses on the ETag.
            // LastRequestId stays once the request is closed: the staff's list tells "ended" from "never asked" by it.
            await learners.TakeRequestSlotAsync(row, id, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "The learner's requests changed meanwhile", "Read the learner's active request and try again.");
        }
        var request = MentorRequestRow.New(caller.OrganisationId, id);
        (request.LearnerId, request.Goals, request.GoalText, request.ProgrammeId) = (body.LearnerId!, body.Goals!, body.GoalText, body.ProgrammeId);
        (request.Status, request.CreatedAt, request.UpdatedAt) = (RequestStatus.Queued, now, now);
        try
        {
            await requests.AddEntityAsync(request.Entity, ct);
            await queue.SendAsync(MentorRequests.Queue, new MentorRequests.ScoreMessage(caller.OrganisationId, id), ct);
        }
        catch (Exception)
        {
            // Not accepted: undo what was written (best effort; storage may be down). What could not be undone is logged, by
            // ids only, for an operator to see (issue 30: this compensation once failed silently).
            try { await requests.DeleteEntityAsync(caller.OrganisationId, id, ETag.All, CancellationToken.None); }
            catch (Exception ex) { logger.LogWarning(ex, "Could not remove request {RequestId} after it was refused", id); }
            try { await learners.FreeRequestSlotAsync(caller.OrganisationId, body.LearnerId!, ETag.All, CancellationToken.None); }
            catch (Exception ex) { logger.LogWarning(ex, "Could not free the active-request slot of learner {LearnerId} after request {RequestId} was refused", body.LearnerId, id); }
            throw;
        }
        return Results.Accepted($"/api/mentor-requests/{id}", MentorRequests.ToView(request));
    }

    [Function("ListMentorRequests"), RequireRoles(Role.Ngo)]
    [EndpointSummary("The NGO's requests, optionally of one status or one learner, a page at a time (continuationToken), each with how long its learner has waited.")]
    [QueryParameter("status", "queued, proposed, offered, matched, ended, noCandidates, cancelled or expired.", Enum = typeof(RequestStatus)), QueryParameter("learnerId", "One learner's requests.", Pattern = "^[0-9a-f]{32}$")]
    [QueryParameter("pageSize", "1 to 100 (50).", Type = "integer", Minimum = 1, Maximum = 100), QueryParameter("continuationToken", "From the previous page.", MaxLength = 2048)]
    [ProducesResponseType<MentorRequests.RequestPage>(StatusCodes.Status200OK), ProducesValidationProblem]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mentor-requests")] HttpRequest req, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        var v = new Validation();
        RequestStatus? status = null;
        if (v.Text(req, "status") is { } statusText)
        {
            if (Enum.TryParse<RequestStatus>(statusText, ignoreCase: true, out var st) && Enum.IsDefined(st) && !int.TryParse(statusText, out _)) status = st;
            else v.Add("status", "queued, proposed, offered, matched, ended, noCandidates, cancelled or expired.");
        }
        var learnerId = v.Text(req, "learnerId");
        v.Require(learnerId is null || Ids.IsValid(learnerId), "learnerId", "A learner's id (32 hex digits).");
        var size = v.Int(req, "pageSize") ?? 50;
        v.Range(size, 1, 100, "pageSize");
        var token = v.Text(req, "continuationToken");
        if (!v.IsValid) return v.ToResult();
        await provisioner.EnsureReadyAsync(ct);
        // The organisation's partition, filtered by the service; only the columns the list shows are read.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {caller.OrganisationId}") + " and " + Notifications.Outbox.NotOutbox
            + (status is { } s ? " and " + TableClient.CreateQueryFilter($"Status eq {s.ToString()}") : "")
            + (learnerId is not null ? " and " + TableClient.CreateQueryFilter($"LearnerId eq {learnerId}") : "");
        var columns = MentorRequestRow.SummaryColumns;
        var items = new List<MentorRequests.RequestSummary>();
        string? next = null;
        var now = time.GetUtcNow();
        try
        {
            await foreach (var page in tables.GetTableClient(MentorRequests.Table).QueryAsync<TableEntity>(filter, size, columns, ct).AsPages(token, size))
            {
                items.AddRange(page.Values.Select(e => MentorRequests.ToSummary(new MentorRequestRow(e), now)));
                next = page.ContinuationToken;
                if (items.Count > 0 || next is null) break; // a filtered page can come back empty with a token: read on
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 400 && token is not null)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["continuationToken"] = ["Not a token this query gave."] });
        }
        return Results.Ok(new MentorRequests.RequestPage(items, next));
    }

    [Function("GetMentorRequest")]
    [EndpointSummary("The request's status, its proposals with explanations, the offer awaiting a mentor's answer, declines, and the match once accepted.")]
    [ProducesResponseType<MentorRequests.RequestView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "mentor-requests/{requestId}")] HttpRequest req,
        string requestId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        var row = await MentorRequests.FindAsync(caller, requestId, tables, provisioner, ct);
        return row is null ? Problems.NotFound("The request") : Results.Ok(MentorRequests.ToView(row, forStaff: caller.Role == Role.Ngo));
    }

    [Function("ChooseMentor")]
    [EndpointSummary("Chooses one of the request's proposals: it is offered to that mentor, whose capacity is taken until they answer.")]
    [EndpointDescription("409 with the current status when the request has no open proposals or the mentor has no room any more (choose another).")]
    [AcceptsBody(typeof(MentoringApi.ChooseRequest)), ProducesResponseType<MentorRequests.RequestView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> ChooseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "mentor-requests/{requestId}/choose")] HttpRequest req,
        string requestId, CancellationToken ct)
    {
        var body = await req.ReadJsonAsync<MentoringApi.ChooseRequest>(ct);
        var v = new Validation().Require(Ids.IsValid(body.MentorId), "mentorId", "A mentor id from the request's proposals.");
        if (!v.IsValid) return v.ToResult();
        var caller = req.HttpContext.Caller();
        return await MentoringApi.AnswerAsync(async () =>
            await lifecycle.ChooseAsync(caller, requestId, body.MentorId, ct) is { } row
                ? Results.Ok(MentorRequests.ToView(row, forStaff: caller.Role == Role.Ngo)) : Problems.NotFound("The request"));
    }

    [Function("CancelMentorRequest")]
    [EndpointSummary("Cancels a request that has no match yet; an offer awaiting a mentor's answer gives its capacity back.")]
    [ProducesResponseType<MentorRequests.RequestView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> CancelAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "mentor-requests/{requestId}/cancel")] HttpRequest req,
        string requestId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        return await MentoringApi.AnswerAsync(async () =>
            await lifecycle.CancelAsync(caller, requestId, ct) is { } row
                ? Results.Ok(MentorRequests.ToView(row, forStaff: caller.Role == Role.Ngo)) : Problems.NotFound("The request"));
    }
}

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
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var found = await table.GetEntityIfExistsAsync<TableEntity>(m.Org ?? "", m.RequestId ?? "", cancellationToken: ct);
            if (!found.HasValue) throw new InvalidQueueMessageException($"Request {m.RequestId} does not exist.");
            var request = new MentorRequestRow(found.Value!);
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
            if (!await Notifications.Outbox.TryReplaceAsync(table, request.Entity, notices, ct)) continue; // changed meanwhile: read again
            await outbox.AnnounceAsync(MentorRequests.Table, m.Org!, notices, ct);
            if (!proposed) await lifecycle.FreeLearnerSlotAsync(m.Org!, request, ct);
            return;
        }
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
