using Azure;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

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
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mentor-requests")] HttpRequest req, CancellationToken ct)
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
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mentor-requests")] HttpRequest req, CancellationToken ct)
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
        try { return Results.Ok(await MentorRequests.PageAsync(tables, provisioner, caller.OrganisationId, status, learnerId, size, token, time.GetUtcNow(), ct)); }
        catch (RequestFailedException ex) when (ex.Status == 400 && token is not null)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["continuationToken"] = ["Not a token this query gave."] });
        }
    }

    [Function("GetMentorRequest")]
    [EndpointSummary("The request's status, its proposals with explanations, the offer awaiting a mentor's answer, declines, and the match once accepted.")]
    [ProducesResponseType<MentorRequests.RequestView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mentor-requests/{requestId}")] HttpRequest req,
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
    public async Task<IResult> ChooseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mentor-requests/{requestId}/choose")] HttpRequest req,
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
    public async Task<IResult> CancelAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mentor-requests/{requestId}/cancel")] HttpRequest req,
        string requestId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        return await MentoringApi.AnswerAsync(async () =>
            await lifecycle.CancelAsync(caller, requestId, ct) is { } row
                ? Results.Ok(MentorRequests.ToView(row, forStaff: caller.Role == Role.Ngo)) : Problems.NotFound("The request"));
    }
}
