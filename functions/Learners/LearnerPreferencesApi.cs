using Matching.Notifications;
using Matching.Platform;
using Matching.Security;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Learners;

/// <summary>An NGO's staff set, with their learners, how each of them is told (mail goes to the email contact of their profile).</summary>
[Tags("Notifications")]
public sealed class LearnerPreferenceFunctions(PreferenceBook book, LearnerDirectory learners)
{
    [Function("GetLearnerNotificationPreferences")]
    [RequireRoles(Role.Ngo)]
    [EndpointSummary("A learner's notification preferences, as their NGO set them with them.")]
    [ProducesResponseType<NotificationPreferences>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetLearnerAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/learners/{learnerId}/notification-preferences")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var org = req.HttpContext.Caller().OrganisationId;
        if (!Ids.IsValid(learnerId) || await learners.FindAsync(org, learnerId, ct) is null) return Problems.NotFound("The learner");
        return Results.Ok(await book.GetAsync(new Recipient(RecipientKind.Learner, org, learnerId), ct));
    }

    [Function("SaveLearnerNotificationPreferences")]
    [RequireRoles(Role.Ngo)]
    [EndpointSummary("Replaces a learner's notification preferences (mail goes to the email contact of their profile).")]
    [AcceptsBody(typeof(NotificationPreferences)), ProducesResponseType<NotificationPreferences>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> SaveLearnerAsync([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/learners/{learnerId}/notification-preferences")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var org = req.HttpContext.Caller().OrganisationId;
        if (!Ids.IsValid(learnerId) || await learners.FindAsync(org, learnerId, ct) is null) return Problems.NotFound("The learner");
        var input = await req.ReadJsonAsync<NotificationPreferences>(ct);
        var v = PreferenceRules.Validate(input, RecipientKind.Learner);
        if (!v.IsValid) return v.ToResult();
        return Results.Ok(await book.SaveAsync(new Recipient(RecipientKind.Learner, org, learnerId), null, input, ct));
    }
}
