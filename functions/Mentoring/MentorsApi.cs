using Matching.Mentoring.Engine;
using Matching.Platform;
using Matching.Security;

namespace Matching.Mentoring;

/// <summary>Mentors maintain their own profile, pause and resume, and see the proposals addressed to them.</summary>
public static class MentorsApi
{
    public sealed record MentorView(string Id, string DisplayName, string ContactEmail, IReadOnlyList<LanguageSkill> Languages,
        IReadOnlyList<Expertise> Expertise, string? Occupation, string? Sector, string? Rome, string? Esco, int YearsOfExperience,
        IReadOnlyList<SessionMode> Modes, Place? Home, double TravelRadiusKm, Availability Availability, int Capacity,
        int ActiveMentees, int PendingProposals, bool Paused, string? Bio, Gender? Gender, DateTimeOffset UpdatedAt);

    public sealed record PendingView(string RequestId, DateTimeOffset ProposedAt);

    public static MentorView ToView(MentorRecord r)
    {
        var p = r.Profile;
        return new MentorView(p.Id, r.DisplayName, r.ContactEmail, p.Languages, p.Expertise, p.Occupation, p.Sector, p.Rome, r.Esco,
            p.YearsOfExperience, p.Modes, p.Home, p.TravelRadiusKm, p.Availability, p.Capacity, p.ActiveMentees, p.PendingProposals, p.Paused,
            p.Bio, p.Gender, r.UpdatedAt);
    }

    public static void MapMentors(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/mentors/me").WithTags("Mentoring").RequireRoles(Role.Mentor);
        me.MapPut("", SaveAsync).WithName("SaveMyMentorProfile")
            .WithSummary("Creates or replaces the calling mentor's own profile (languages, expertise, modes, availability, capacity...).")
            .Produces<MentorView>().ProducesValidationProblem();
        me.MapGet("", GetAsync).WithName("GetMyMentorProfile").WithSummary("The calling mentor's own profile.")
            .Produces<MentorView>().ProducesProblem(StatusCodes.Status404NotFound);
        me.MapPost("/pause", (HttpContext http, MentorDirectory d, CancellationToken ct) => SetPausedAsync(http, d, true, ct))
            .WithName("PauseMentoring").WithSummary("Pauses: no new proposals until resumed.")
            .Produces<MentorView>().ProducesProblem(StatusCodes.Status404NotFound);
        me.MapPost("/resume", (HttpContext http, MentorDirectory d, CancellationToken ct) => SetPausedAsync(http, d, false, ct))
            .WithName("ResumeMentoring").WithSummary("Resumes receiving proposals.")
            .Produces<MentorView>().ProducesProblem(StatusCodes.Status404NotFound);
        me.MapGet("/proposals", PendingAsync).WithName("ListMyPendingProposals")
            .WithSummary("The requests the calling mentor has been proposed for and that are still pending.")
            .Produces<IReadOnlyList<PendingView>>();
    }

    private static string MyId(HttpContext http) { var c = http.Caller(); return MentorDirectory.IdFor(c.OrganisationId, c.SubjectId); }

    private static async Task<IResult> SaveAsync(MentorProfileInput input, HttpContext http, MentorDirectory directory, CancellationToken ct)
    {
        var v = ProfileRules.Validate(input);
        if (!v.IsValid) return v.ToResult();
        return Results.Ok(ToView(await directory.SaveAsync(MyId(http), input, paused: null, ct)));
    }

    private static async Task<IResult> GetAsync(HttpContext http, MentorDirectory directory, CancellationToken ct) =>
        await directory.FindAsync(MyId(http), ct) is { } r ? Results.Ok(ToView(r)) : Problems.NotFound("Your mentor profile");

    private static async Task<IResult> SetPausedAsync(HttpContext http, MentorDirectory directory, bool paused, CancellationToken ct) =>
        await directory.SetPausedAsync(MyId(http), paused, ct) is { } r ? Results.Ok(ToView(r)) : Problems.NotFound("Your mentor profile");

    private static async Task<IResult> PendingAsync(HttpContext http, MentorDirectory directory, CancellationToken ct) =>
        Results.Ok((await directory.PendingAsync(MyId(http), ct)).Select(p => new PendingView(p.RequestId, p.CreatedAt)).ToList());
}
