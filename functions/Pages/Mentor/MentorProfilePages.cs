using Matching.Mentoring;
using Matching.Platform;
using Matching.Security;

namespace Matching.Pages.Mentor;

/// <summary>
/// The mentor's own profile (<c>/m/profile</c>): who they are, what they help with, their languages, when they are free,
/// how many people they follow, and a pause; and their data (<c>/m/data</c>): a download of all of it, or erasure. The
/// same rule (<see cref="ProfileRules"/>) and the same directory as the API's <c>PUT /api/mentors/me</c>.
/// </summary>
[RequireRoles(Role.Mentor)]
public sealed class MentorProfilePages(MentorDirectory mentors, PersonalData data, AuditTrail audit)
{
    [Function("MentorProfile"), Page(PageAccess.Member)]
    public async Task<IResult> ShowAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "m/profile")] HttpRequest req, CancellationToken ct)
    {
        var current = await mentors.FindAsync(MentorsApi.MyId(req.HttpContext), ct);
        var user = req.HttpContext.User;
        return Show(current is null ? ProfileForm.Blank(user.FindFirst("name")?.Value ?? "", user.FindFirst("email")?.Value ?? "") : ProfileForm.From(current),
            current, req.Query.ContainsKey("welcome"), null, StatusCodes.Status200OK);
    }

    [Function("SaveMentorProfile"), Page(PageAccess.Member)]
    public async Task<IResult> SaveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/profile")] HttpRequest req, CancellationToken ct)
    {
        var id = MentorsApi.MyId(req.HttpContext);
        var current = await mentors.FindAsync(id, ct);
        var input = ProfileForm.Read(await req.ReadFormAsync(ct), current);
        var v = ProfileRules.Validate(input);
        if (!v.IsValid) return Show(input, current, false, PageOutcome.ProblemOf(v.ToResult()), StatusCodes.Status422UnprocessableEntity);
        await mentors.SaveAsync(id, input, paused: null, ct);
        return PageResults.SeeOther($"{MentorPages.Home}?done=profile");
    }

    [Function("PauseMentoringPage"), Page(PageAccess.Member)]
    public Task<IResult> PauseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/pause")] HttpRequest req, CancellationToken ct) =>
        SetPausedAsync(req.HttpContext, true, ct);

    [Function("ResumeMentoringPage"), Page(PageAccess.Member)]
    public Task<IResult> ResumeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/resume")] HttpRequest req, CancellationToken ct) =>
        SetPausedAsync(req.HttpContext, false, ct);

    [Function("MentorData"), Page(PageAccess.Member)]
    public static IResult Data([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "m/data")] HttpRequest req) => PageResults.Show<MentorDataPage>();

    /// <summary>Everything stored about the mentor, as the API's export, downloaded as a file.</summary>
    [Function("ExportMentorDataPage"), Page(PageAccess.Member)]
    public async Task<IResult> ExportAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "m/data/export")] HttpRequest req, CancellationToken ct)
    {
        var id = MentorsApi.MyId(req.HttpContext);
        if (await data.ExportMentorAsync(id, ct) is not { } export) return NoProfile();
        await audit.WriteAsync(req.HttpContext.Caller().OrganisationId, id, "mentor.exported", id, ct);
        req.HttpContext.Response.Headers.ContentDisposition = "attachment; filename=\"my-mentoring-data.json\"";
        return Results.Json(export);
    }

    [Function("EraseMentorDataPage"), Page(PageAccess.Member)]
    public async Task<IResult> EraseAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "m/data/erase")] HttpRequest req, CancellationToken ct)
    {
        if ((await req.ReadFormAsync(ct))["confirm"] != "erase")
            return PageResults.Show<MentorDataPage>(new Dictionary<string, object> { ["Problem"] = Words.T("Tick the box to confirm: erasing cannot be undone.") },
                StatusCodes.Status422UnprocessableEntity);
        var id = MentorsApi.MyId(req.HttpContext);
        if (!await data.EraseMentorAsync(id, ct)) return NoProfile();
        await audit.WriteAsync(req.HttpContext.Caller().OrganisationId, id, "mentor.erased", id, ct);
        return PageResults.Error(StatusCodes.Status200OK, "Your data is erased",
            "Your profile, your contact and your notes are gone; the people you followed were told through their association.", (Account.AccountPages.Home, Words.T("My account")));
    }

    private async Task<IResult> SetPausedAsync(HttpContext http, bool paused, CancellationToken ct) =>
        await mentors.SetPausedAsync(MentorsApi.MyId(http), paused, ct) is null ? NoProfile() : PageResults.SeeOther($"{MentorPages.Home}?done={(paused ? "paused" : "resumed")}");

    private static IResult Show(MentorProfileInput profile, MentorRecord? current, bool welcome, PageProblem? problem, int status) =>
        PageResults.Show<MentorProfilePage>(new Dictionary<string, object>
        {
            ["Profile"] = profile, ["IsNew"] = current is null, ["Paused"] = current?.Profile.Paused ?? false, ["Welcome"] = welcome, ["Problem"] = problem!,
        }, status);

    private static IResult NoProfile() =>
        PageResults.Error(StatusCodes.Status404NotFound, "No profile yet", "Say who you are first.", (MentorPages.Profile, Words.T("My profile")));
}
