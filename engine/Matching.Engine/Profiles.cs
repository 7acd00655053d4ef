namespace Matching.Engine;

/// <summary>What a mentor can help with.</summary>
public enum Expertise { CvReview, ProfessionalProject, InterviewPreparation, JobSearch, DigitalSkills, FrenchPractice, Entrepreneurship, SectorKnowledge }

/// <summary>CEFR levels, with Native above C2.</summary>
public enum Cefr { A1 = 1, A2 = 2, B1 = 3, B2 = 4, C1 = 5, C2 = 6, Native = 7 }

public enum SessionMode { Video, Phone, InPerson }

/// <summary>Only used where a programme requires a mentor's gender (e.g. a women's programme); never inferred.</summary>
public enum Gender { Woman, Man, NonBinary }

public sealed record LanguageSkill(string Language, Cefr Level);

/// <summary>A weekly slot in the owner's local time.</summary>
public sealed record WeeklySlot(DayOfWeek Day, TimeOnly Start, TimeOnly End);

/// <summary>Weekly availability in an IANA time zone.</summary>
public sealed record Availability(string TimeZone, IReadOnlyList<WeeklySlot> Slots);

public sealed record Place(double Latitude, double Longitude, string? InseeCode = null);

/// <summary>How past proposals of a mentor turned out, when known.</summary>
public sealed record TrackRecord(int Proposals, int Accepted, int SessionsHeld, double? AverageRating, int Ratings = 0);

/// <summary>A mentor as the engine sees it: only what matching needs (no contact details).</summary>
public sealed record MentorProfile(
    string Id,
    IReadOnlyList<LanguageSkill> Languages,
    IReadOnlyList<Expertise> Expertise,
    string? Occupation,
    string? Sector,
    string? Rome,
    int YearsOfExperience,
    IReadOnlyList<SessionMode> Modes,
    Place? Home,
    double TravelRadiusKm,
    Availability Availability,
    int Capacity,
    int ActiveMentees,
    int PendingProposals,
    bool Paused,
    string? Bio,
    Gender? Gender = null,
    TrackRecord? Record = null)
{
    [System.Text.Json.Serialization.JsonIgnore] public int Load => ActiveMentees + PendingProposals;
}

/// <summary>A learner as the engine sees it.</summary>
public sealed record LearnerProfile(
    string Id,
    IReadOnlyList<LanguageSkill> Languages,
    string? TargetOccupation,
    string? TargetSector,
    string? TargetRome,
    IReadOnlyList<SessionMode> Modes,
    Place? Place,
    Availability Availability,
    Gender? PreferredMentorGender = null);

/// <summary>One request: a learner and the goals of this request.</summary>
public sealed record MatchRequest(LearnerProfile Learner, IReadOnlyList<Expertise> Goals, string? GoalText);
