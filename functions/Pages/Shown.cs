using Matching.Engine;

namespace Matching.Pages;

/// <summary>How the pages show people, times and mentoring words: one place for each, whichever page shows them.</summary>
public static class Shown
{
    /// <summary>The zone times are shown in: the reader's own (an IANA id they chose), Paris until they say.</summary>
    public static TimeZoneInfo Zone(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    /// <summary>A person's first name, the only part of their name a page shows the other side.</summary>
    public static string? FirstName(string? displayName) =>
        displayName?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    /// <summary>What a mentor helps with, in the words of mentors and staff (the learner's own are plainer: <c>LearnerHomeData.GoalWords</c>).</summary>
    public static string ExpertiseWords(Expertise e) => Words.T(e switch
    {
        Expertise.CvReview => "CV review",
        Expertise.ProfessionalProject => "a professional project",
        Expertise.InterviewPreparation => "job interview preparation",
        Expertise.JobSearch => "job search",
        Expertise.DigitalSkills => "digital skills",
        Expertise.FrenchPractice => "French practice",
        Expertise.Entrepreneurship => "starting a business",
        _ => "knowledge of a trade",
    });

    public static string ModeWords(SessionMode mode) => Words.T(mode switch
    {
        SessionMode.Video => "a video call",
        SessionMode.Phone => "a phone call",
        _ => "meeting in person",
    });
}
