using Matching.Learners;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

/// <summary>The shapes and the answer rules of the mentoring lifecycle's endpoints.</summary>
public static class MentoringApi
{
    public sealed record ChooseRequest(string MentorId);

    public sealed record DeclineRequest(DeclineReason Reason, string? Note = null);

    public sealed record EndMatchRequest(MatchOutcome Outcome, string? Note = null);

    /// <summary>What a mentor sees of an offer before answering: the request, never the learner's identity or contact.</summary>
    public sealed record MentorOfferView(string RequestId, IReadOnlyList<Expertise> Goals, string? GoalText, IReadOnlyList<LanguageSkill> LearnerLanguages,
        IReadOnlyList<SessionMode> LearnerModes, string? TargetOccupation, string? Explanation, DateTimeOffset OfferedAt, DateTimeOffset? ExpiresAt);

    /// <summary>How to reach one side of a match: shared only with the other side and the learner's NGO staff, once matched.</summary>
    public sealed record ContactView(string? DisplayName, ContactChannel? Channel, string? Via);

    public sealed record MatchView(string Id, string LearnerId, string MentorId, IReadOnlyList<Expertise> Goals, string? GoalText, string Status,
        DateTimeOffset MatchedAt, DateTimeOffset? EndedAt, string? Outcome, string? EndedBy, ContactView Learner, ContactView Mentor);

    public const int NoteMaxLength = 500;

    /// <summary>Runs a transition and answers a refused one as 409 with the current status, a choice outside the proposals as 400.</summary>
    public static async Task<IResult> AnswerAsync(Func<Task<IResult>> transition)
    {
        try { return await transition(); }
        catch (TransitionRefusedException refused)
        {
            var problem = new ProblemDetails { Status = 409, Type = ProblemTypes.Conflict, Title = refused.Title, Detail = refused.Message };
            if (refused.Current is { } current) problem.Extensions["currentStatus"] = RequestLifecycle.Code(current);
            return TypedResults.Problem(problem);
        }
        catch (ChoiceNotProposedException)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["mentorId"] = ["Is not one of this request's proposals."] });
        }
    }

    public static Validation Note(Validation v, string? note) => v.Note(note, "note", NoteMaxLength);

    /// <summary>The match as its parties see it: contact channels only now that both said yes.</summary>
    public static MatchView ToMatch(MentorRequestRow request, LearnerRow? learner, MentorRecord? mentor)
    {
        var status = request.Status;
        var learnerContact = learner is null ? null : LearnerProfiles.Read(learner)?.Contact;
        return new MatchView(request.Id, request.LearnerId, request.MentorId ?? "",
            request.Goals, request.GoalText,
            status == RequestStatus.Ended ? "ended" : "active", request.MatchedAt ?? default, request.EndedAt,
            request.Outcome, request.EndedBy,
            new ContactView(learner?.DisplayName, learnerContact, learnerContact is null ? "the learner's NGO" : null),
            new ContactView(mentor?.DisplayName, mentor is null ? null : new ContactChannel(ContactKind.Email, mentor.ContactEmail), null));
    }
}

/// <summary>A mentor answers the offers addressed to them.</summary>
[Tags("Mentoring"), RequireRoles(Role.Mentor)]
public sealed class MentorOfferFunctions(OfferAnswers answers)
{
    [Function("ListMyOffers")]
    [EndpointSummary("The offers awaiting the calling mentor's answer: what the learner asks for, not who they are.")]
    [ProducesResponseType<IReadOnlyList<MentoringApi.MentorOfferView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mentors/me/offers")] HttpRequest req, CancellationToken ct) =>
        Results.Ok(await answers.ListAsync(req.HttpContext, ct));

    [Function("AcceptOffer")]
    [EndpointSummary("Accepts an offer: the match is made and each side now sees the other's contact channel.")]
    [ProducesResponseType<MentoringApi.MatchView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public Task<IResult> AcceptAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mentors/me/offers/{requestId}/accept")] HttpRequest req,
        string requestId, CancellationToken ct) =>
        answers.AcceptAsync(req.HttpContext, requestId, ct);

    [Function("DeclineOffer")]
    [EndpointSummary("Declines an offer with a reason (noTimeNow, outsideExpertise, tooFar, language, other) and an optional note for the NGO.")]
    [EndpointDescription("The learner's next proposal still valid is offered at once; when none is left the request is scored again without you.")]
    [AcceptsBody(typeof(MentoringApi.DeclineRequest)), ProducesResponseType(StatusCodes.Status204NoContent), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> DeclineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mentors/me/offers/{requestId}/decline")] HttpRequest req,
        string requestId, CancellationToken ct) =>
        await answers.DeclineAsync(req.HttpContext, requestId, await req.ReadJsonAsync<MentoringApi.DeclineRequest>(ct), ct);
}

/// <summary>Matches, as each party sees them: the mentor, the learner, and the learner's NGO staff.</summary>
[Tags("Mentoring"), RequireRoles(Role.Ngo, Role.Learner, Role.Mentor)]
public sealed class MatchFunctions(MatchAccess access)
{
    [Function("ListMatches"), AccessLink]
    [EndpointSummary("The caller's matches: a mentor's own, a learner's own, or all of the NGO's learners'.")]
    [ProducesResponseType<IReadOnlyList<MentoringApi.MatchView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/matches")] HttpRequest req, CancellationToken ct)
    {
        var views = new List<MentoringApi.MatchView>();
        foreach (var row in await access.ListAsync(req.HttpContext, ct))
            views.Add(await access.ViewAsync(row, ct));
        return Results.Ok(views.OrderByDescending(v => v.MatchedAt).ToList());
    }

    [Function("GetMatch"), AccessLink]
    [EndpointSummary("One match with both sides' contact channels, for its mentor, its learner and the learner's NGO staff only.")]
    [ProducesResponseType<MentoringApi.MatchView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/matches/{matchId}")] HttpRequest req,
        string matchId, CancellationToken ct) =>
        await FindAsync(req.HttpContext, matchId, ct) is { } row
            ? Results.Ok(await access.ViewAsync(row, ct))
            : Problems.NotFound("The match");

    [Function("EndMatch")]
    [EndpointSummary("Ends a match with its outcome (goalReachedJob, goalReachedTraining, goalReachedProjectClear, learnerStopped, mentorUnavailable, other); the NGO sees it.")]
    [AcceptsBody(typeof(MentoringApi.EndMatchRequest)), ProducesResponseType<MentoringApi.MatchView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> EndAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/matches/{matchId}/end")] HttpRequest req,
        string matchId, CancellationToken ct)
    {
        var body = await req.ReadJsonAsync<MentoringApi.EndMatchRequest>(ct);
        return await access.EndAsync(req.HttpContext, matchId, body, ct);
    }

    private async Task<MentorRequestRow?> FindAsync(HttpContext http, string matchId, CancellationToken ct) => (await access.FindAsync(http, matchId, ct))?.Match;
}
