using System.Globalization;
using Matching.Engine;
using Matching.Learners;
using Matching.Mentoring;
using Matching.Mentoring.Sessions;
using Matching.Notifications;
using Matching.Security;

namespace Matching.Pages.Learner;

/// <summary>A session as the learner's page shows it: when in words, in the learner's own time zone, how, and where.</summary>
public sealed record SessionItem(string MatchId, string SessionId, SessionStatus Status, bool AwaitsLearner, string When, SessionMode Mode,
    string? VideoLink, string? Place, string? MapUrl);

/// <summary>A check-in the learner may answer.</summary>
public sealed record CheckInItem(string SessionId, string When);

/// <summary>Everything the learner's one page says.</summary>
public sealed record LearnerHome(string FirstName, string Organisation, string? MentorFirstName, IReadOnlyList<string> Goals,
    IReadOnlyList<SessionItem> Sessions, IReadOnlyList<CheckInItem> CheckIns, string? Done, string? Problem);

/// <summary>Reads what the learner's page shows through the services the API uses, as the learner the link session names.</summary>
public sealed class LearnerHomeData(MentoringLifecycle lifecycle, SessionBook sessions, SessionActions actions, MentorDirectory mentors, LearnerDirectory learners,
    VenueDirectory venues, IOrganisationNames organisations, TimeProvider time)
{
    public async Task<LearnerHome> ReadAsync(HttpContext http, string? done, string? problem, CancellationToken ct)
    {
        var caller = http.Caller();
        // Two waves: the learner's row (already read by the session check: from memory), then everything else together.
        // Their row names their request; while it is matched, it is the match the page is about.
        var learner = await learners.RowAsync(caller.OrganisationId, caller.SubjectId, ct);
        var requestId = learner?.ActiveRequestId is { Length: > 0 } id ? id : null;
        var organisationRead = organisations.NameAsync(caller.OrganisationId, ct);
        var checkInsRead = actions.PendingCheckInsAsync(http, ct);
        var requestRead = requestId is null ? Task.FromResult<MentorRequestRow?>(null) : lifecycle.RowAsync(caller.OrganisationId, requestId, ct);
        var sessionsRead = requestId is null ? Task.FromResult<IReadOnlyList<SessionRow>>([]) : sessions.ListAsync(caller.OrganisationId, requestId, ct);
        var request = await requestRead;
        var active = request is { Status: RequestStatus.Matched } && request.LearnerId == caller.SubjectId ? request : null;
        // The mentor's name as the learner's association was shown it (an erased mentor's is scrubbed); their profile only when it is not there.
        var mentorName = active?.Proposals.FirstOrDefault(p => p.MentorId == active.MentorId)?.DisplayName
            ?? (active is null ? null : (await mentors.FindAsync(active.MentorId ?? "", ct))?.DisplayName);
        if (active is null) sessionsRead = Task.FromResult<IReadOnlyList<SessionRow>>([]);
        var zone = Shown.Zone(learner is null ? null : LearnerProfiles.Read(learner)?.Availability.TimeZone);
        var now = time.GetUtcNow();
        var items = new List<SessionItem>();
        foreach (var s in (await sessionsRead).Where(s => s.Status is SessionStatus.Proposed or SessionStatus.Confirmed && s.End > now))
        {
            var venue = s.VenueId is { } venueId ? await venues.FindAsync(venueId, ct) : null; // cached by the directory
            items.Add(new SessionItem(active!.Id, s.SessionId, s.Status, s.Status == SessionStatus.Proposed && s.ProposedBy == Party.Mentor,
                When(s.Start, s.End, zone), s.Mode, s.VideoLink, venue?.Location ?? s.VenueName,
                venue is null ? null : FormattableString.Invariant($"https://www.openstreetmap.org/?mlat={venue.Latitude:0.#####}&mlon={venue.Longitude:0.#####}#map=17/{venue.Latitude:0.#####}/{venue.Longitude:0.#####}")));
        }
        var checkIns = (await checkInsRead).OrderBy(c => c.Start).Select(c => new CheckInItem(c.SessionId, When(c.Start, c.End, zone))).ToList();
        return new LearnerHome(Shown.FirstName(learner?.DisplayName) ?? "", await organisationRead ?? caller.OrganisationId, Shown.FirstName(mentorName),
            active?.Goals.Select(GoalWords).ToList() ?? [], items.OrderBy(i => i.Status).ToList(), checkIns, done, problem);
    }

    /// <summary>"mardi 8 décembre, de 14 h 30 à 15 h 30" or "Tuesday 8 December, from 2:30 PM to 3:30 PM", in the learner's time zone.</summary>
    public static string When(DateTimeOffset start, DateTimeOffset end, TimeZoneInfo zone)
    {
        var culture = CultureInfo.CurrentUICulture;
        var (from, to) = (TimeZoneInfo.ConvertTime(start, zone), TimeZoneInfo.ConvertTime(end, zone));
        var time = culture.TwoLetterISOLanguageName == "fr" ? "H' h 'mm" : "h:mm tt";
        return Words.F("{0}, from {1} to {2}", from.ToString("dddd d MMMM", culture), from.ToString(time, culture), to.ToString(time, culture));
    }


    /// <summary>What they will work on, in a learner's words (A2): short, no jargon.</summary>
    public static string GoalWords(Expertise goal) => Words.T(goal switch
    {
        Expertise.CvReview => "your CV",
        Expertise.ProfessionalProject => "your work plan",
        Expertise.InterviewPreparation => "getting ready for a job interview",
        Expertise.JobSearch => "looking for a job",
        Expertise.DigitalSkills => "using a computer and the internet",
        Expertise.FrenchPractice => "speaking French",
        Expertise.Entrepreneurship => "starting your own business",
        _ => "learning about a trade",
    });
}
