using Matching.Engine;
using Matching.Platform;

namespace Matching.Mentoring.Sessions;

/// <summary>The one place for what a session may be, and who may change it how.</summary>
public static class SessionRules
{
    public const int MinMinutes = 15, MaxMinutes = 240;

    /// <summary>
    /// A session falls inside both sides' weekly availability (each in their own zone, daylight saving as it falls
    /// that week), in a mode both accept; video has the mentor's https link (given when proposing, or when the
    /// mentor confirms); in person is at a venue open for the whole session and within both travel radii.
    /// </summary>
    public static Validation Check((MentorRecord Mentor, LearnerProfileInput Learner)? parties, Party by, SessionProposal p, VenueView? venue,
        bool venueNamed, bool confirming, DateTimeOffset now)
    {
        var v = new Validation();
        if (parties is not { } both) return v.Add("matchId", "One side of the match is no longer registered.");
        var end = p.Start.AddMinutes(p.DurationMinutes);
        v.Require(p.Start > now, "start", "A time in the future, with its offset, e.g. 2026-12-07T18:30:00+01:00.");
        v.Range(p.DurationMinutes, MinMinutes, MaxMinutes, "durationMinutes");
        if (!v.IsValid) return v;
        v.Require(WeeklyTime.Covers(both.Mentor.Profile.Availability, p.Start, end), "start", "Outside the mentor's weekly availability.");
        v.Require(WeeklyTime.Covers(both.Learner.Availability, p.Start, end), "start", "Outside the learner's weekly availability.");
        v.Require(Enum.IsDefined(p.Mode) && both.Mentor.Profile.Modes.Contains(p.Mode) && both.Learner.Modes.Contains(p.Mode), "mode", "A way of meeting both sides accept.");
        // A field that does not apply to the mode is refused, not dropped: the caller meant something by it.
        v.Require(p.Mode == SessionMode.Video || p.VideoLink is null, "videoLink", "Only a video session has a video link.");
        v.Require(p.Mode == SessionMode.InPerson || !venueNamed, "venueId", "Only an in-person session is at a venue.");
        switch (p.Mode)
        {
            case SessionMode.Video:
                v.Require(p.VideoLink is null || IsHttpsLink(p.VideoLink), "videoLink", "An https link of at most 500 characters.");
                v.Require(p.VideoLink is not null || by == Party.Learner && !confirming, "videoLink", "The mentor gives the video link.");
                break;
            case SessionMode.InPerson:
                if (!venueNamed) { v.Add("venueId", "An in-person session is at a registered venue (GET /api/matches/{matchId}/venues)."); break; }
                if (venue is null) { v.Add("venueId", "No such venue."); break; }
                v.Require(WeeklyTime.Covers(venue.OpeningHours, p.Start, end), "venueId", "The venue is not open for the whole session.");
                if (both.Learner.Place is not { } lp || both.Mentor.Profile.Home is not { } mp) { v.Add("venueId", "Meeting in person needs both sides' places."); break; }
                v.Require(Geo.DistanceKm(lp.Latitude, lp.Longitude, venue.Latitude, venue.Longitude) <= both.Learner.TravelRadiusKm
                    && Geo.DistanceKm(mp.Latitude, mp.Longitude, venue.Latitude, venue.Longitude) <= both.Mentor.Profile.TravelRadiusKm,
                    "venueId", "The venue is beyond one side's travel radius.");
                break;
        }
        return v;
    }

    public static bool IsHttpsLink(string link) =>
        link.Length <= 500 && Uri.TryCreate(link, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps;

    /// <summary>Who may change a session how: the side that did not propose it confirms, declines or counter-proposes;
    /// either side reschedules (counter) or cancels a confirmed one, and either side withdraws a proposal.</summary>
    public static bool Allows(SessionStatus status, SessionChange change, Party by, Party proposedBy) => (status, change) switch
    {
        (SessionStatus.Proposed, SessionChange.Confirm or SessionChange.Decline) => by != proposedBy,
        (SessionStatus.Proposed, SessionChange.Counter) => by != proposedBy,
        (SessionStatus.Proposed, SessionChange.Cancel) => true,
        (SessionStatus.Confirmed, SessionChange.Counter or SessionChange.Cancel) => true,
        _ => false,
    };

    public static string Past(SessionChange change) => change switch
    {
        SessionChange.Confirm => "confirmed",
        SessionChange.Decline => "declined",
        SessionChange.Counter => "moved",
        _ => "cancelled",
    };
}
