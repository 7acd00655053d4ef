using System.Text.Json;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Mentoring.Engine;
using Matching.Platform;
using Matching.Security;

namespace Matching.Mentoring;

/// <summary>What matching needs about a learner, kept on the learner's row in the NGO's partition.</summary>
public static class LearnerProfiles
{
    public sealed record LearnerProfileView(string LearnerId, LearnerProfileInput Profile, string? ActiveRequestId);

    public static void MapLearnerProfiles(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/learners/{learnerId}/profile").WithTags("Mentoring").RequireRoles(Role.Ngo);
        group.MapPut("", SaveAsync).WithName("SaveLearnerProfile")
            .WithSummary("Sets what matching needs about one of the NGO's learners: languages, goals' context, modes, place, availability, preferences.")
            .WithDescription("Data is kept minimal: no documents, no nationality, no status. Notes stay with the NGO and are never shown to mentors.")
            .Produces<LearnerProfileView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("", GetAsync).WithName("GetLearnerProfile").WithSummary("The matching profile of one of the NGO's learners.")
            .Produces<LearnerProfileView>().ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> SaveAsync(string learnerId, LearnerProfileInput input, HttpContext http, LearnerDirectory learners, CancellationToken ct)
    {
        var v = ProfileRules.Validate(input);
        if (!v.IsValid) return v.ToResult();
        var org = http.Caller().OrganisationId;
        var row = await learners.RowAsync(org, learnerId, ct);
        if (row is null) return Problems.NotFound("The learner");
        await learners.UpdateAsync(new TableEntity(org, learnerId) { ["Profile"] = JsonSerializer.Serialize(input, TrainingData.Json) }, row.ETag, ct);
        return Results.Ok(new LearnerProfileView(learnerId, input, row.GetString("ActiveRequestId")));
    }

    private static async Task<IResult> GetAsync(string learnerId, HttpContext http, LearnerDirectory learners, CancellationToken ct)
    {
        var row = await learners.RowAsync(http.Caller().OrganisationId, learnerId, ct);
        return row is null || Read(row) is not { } profile ? Problems.NotFound("The learner's profile")
            : Results.Ok(new LearnerProfileView(learnerId, profile, row.GetString("ActiveRequestId")));
    }

    public static LearnerProfileInput? Read(TableEntity row) =>
        row.GetString("Profile") is { } json ? JsonSerializer.Deserialize<LearnerProfileInput>(json, TrainingData.Json) : null;

    public static LearnerProfile ToEngine(string learnerId, LearnerProfileInput p) =>
        new(learnerId, p.Languages, p.TargetOccupation, p.TargetSector, p.TargetRome, p.Modes, p.Place, p.Availability, p.PreferredMentorGender);
}
