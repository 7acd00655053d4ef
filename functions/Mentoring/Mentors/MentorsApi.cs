using Matching.Engine;
using Matching.Platform;
using Matching.Security;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

/// <summary>Mentors maintain their own profile, pause and resume (offers: <see cref="MentorOfferFunctions"/>).</summary>
public static class MentorsApi
{
    public sealed record MentorView(string Id, string DisplayName, string ContactEmail, IReadOnlyList<LanguageSkill> Languages,
        IReadOnlyList<Expertise> Expertise, string? Occupation, string? Sector, string? Rome, string? Esco, int YearsOfExperience,
        IReadOnlyList<SessionMode> Modes, Place? Home, double TravelRadiusKm, Availability Availability, int Capacity,
        int ActiveMentees, int PendingProposals, bool Paused, string? Bio, Gender? Gender, DateTimeOffset UpdatedAt, TrackRecord? Record);

    public static MentorView ToView(MentorRecord r)
    {
        var p = r.Profile;
        return new MentorView(p.Id, r.DisplayName, r.ContactEmail, p.Languages, p.Expertise, p.Occupation, p.Sector, p.Rome, r.Esco,
            p.YearsOfExperience, p.Modes, p.Home, p.TravelRadiusKm, p.Availability, p.Capacity, p.ActiveMentees, p.PendingProposals, p.Paused,
            p.Bio, p.Gender, r.UpdatedAt, p.Record);
    }

    internal static string MyId(HttpContext http) { var c = http.Caller(); return Ids.MentorId(c.OrganisationId, c.SubjectId); }
}

[Tags("Mentoring"), RequireRoles(Role.Mentor)]
public sealed class MentorFunctions(MentorDirectory directory)
{
    [Function("SaveMyMentorProfile")]
    [EndpointSummary("Creates or replaces the calling mentor's own profile (languages, expertise, modes, availability, capacity...).")]
    [AcceptsBody(typeof(MentorProfileInput)), ProducesResponseType<MentorsApi.MentorView>(StatusCodes.Status200OK), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> SaveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/mentors/me")] HttpRequest req, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<MentorProfileInput>(ct);
        var v = ProfileRules.Validate(input);
        if (!v.IsValid) return v.ToResult();
        return Results.Ok(MentorsApi.ToView(await directory.SaveAsync(MentorsApi.MyId(req.HttpContext), input, paused: null, ct)));
    }

    [Function("GetMyMentorProfile")]
    [EndpointSummary("The calling mentor's own profile.")]
    [ProducesResponseType<MentorsApi.MentorView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/mentors/me")] HttpRequest req, CancellationToken ct) =>
        await directory.FindAsync(MentorsApi.MyId(req.HttpContext), ct) is { } r ? Results.Ok(MentorsApi.ToView(r)) : Problems.NotFound("Your mentor profile");

    [Function("PauseMentoring")]
    [EndpointSummary("Pauses: no new proposals until resumed.")]
    [ProducesResponseType<MentorsApi.MentorView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public Task<IResult> PauseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mentors/me/pause")] HttpRequest req, CancellationToken ct) =>
        SetPausedAsync(req.HttpContext, true, ct);

    [Function("ResumeMentoring")]
    [EndpointSummary("Resumes receiving proposals.")]
    [ProducesResponseType<MentorsApi.MentorView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public Task<IResult> ResumeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/mentors/me/resume")] HttpRequest req, CancellationToken ct) =>
        SetPausedAsync(req.HttpContext, false, ct);

    private async Task<IResult> SetPausedAsync(HttpContext http, bool paused, CancellationToken ct) =>
        await directory.SetPausedAsync(MentorsApi.MyId(http), paused, ct) is { } r ? Results.Ok(MentorsApi.ToView(r)) : Problems.NotFound("Your mentor profile");
}
