using System.Text.Json;
using Matching.Learners;
using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

/// <summary>What matching needs about a learner, kept on the learner's row in the NGO's partition.</summary>
public static class LearnerProfiles
{
    public sealed record LearnerProfileView(string LearnerId, LearnerProfileInput Profile, string? ActiveRequestId);

    public static LearnerProfileInput? Read(LearnerRow row) =>
        row.ProfileJson is { } json ? JsonSerializer.Deserialize<LearnerProfileInput>(json, TrainingData.Json) : null;

    public static LearnerProfile ToEngine(string learnerId, LearnerProfileInput p) =>
        new(learnerId, p.Languages, p.TargetOccupation, p.TargetSector, p.TargetRome, p.Modes, p.Place, p.Availability, p.PreferredMentorGender);
}

[Tags("Mentoring"), RequireRoles(Role.Ngo)]
public sealed class LearnerProfileFunctions(LearnerDirectory learners)
{
    [Function("SaveLearnerProfile")]
    [EndpointSummary("Sets what matching needs about one of the NGO's learners: languages, goals' context, modes, place, availability, preferences.")]
    [EndpointDescription("Data is kept minimal: no documents, no nationality, no status. Notes stay with the NGO and are never shown to mentors.")]
    [AcceptsBody(typeof(LearnerProfileInput)), ProducesResponseType<LearnerProfiles.LearnerProfileView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound), ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> SaveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/learners/{learnerId}/profile")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<LearnerProfileInput>(ct);
        var v = ProfileRules.Validate(input);
        if (!v.IsValid) return v.ToResult();
        var org = req.HttpContext.Caller().OrganisationId;
        // Last writer wins: the row also carries the learner's active request, so the write is conditional and retried.
        return await Contention.RetryAsync(async () =>
        {
            var row = await learners.RowAsync(org, learnerId, ct);
            if (row is null) return Problems.NotFound("The learner");
            await learners.SaveProfileAsync(row, JsonSerializer.Serialize(input, TrainingData.Json), ct);
            return Results.Ok(new LearnerProfiles.LearnerProfileView(learnerId, input, row.ActiveRequestId));
        }, ct);
    }

    [Function("GetLearnerProfile")]
    [EndpointSummary("The matching profile of one of the NGO's learners.")]
    [ProducesResponseType<LearnerProfiles.LearnerProfileView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/learners/{learnerId}/profile")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var row = await learners.RowAsync(req.HttpContext.Caller().OrganisationId, learnerId, ct);
        return row is null || LearnerProfiles.Read(row) is not { } profile ? Problems.NotFound("The learner's profile")
            : Results.Ok(new LearnerProfiles.LearnerProfileView(learnerId, profile, row.ActiveRequestId));
    }
}
