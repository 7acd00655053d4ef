namespace Matching.Engine;

/// <summary>
/// The features of a learner–mentor pair, computed by one piece of code for training, evaluation and serving,
/// so that they cannot drift apart. Every value is in [0, 1]. <see cref="MentorColumns"/> computes the same, faster, for serving.
/// </summary>
public static class PairFeatures
{
    public static readonly string[] Names =
    [
        "goalOverlap", "languageLevel", "availabilityOverlap", "proximity", "modeFit", "mentorLoad",
        "acceptanceRecord", "ratingRecord", "occupationMatch", "sectorMatch", "textSimilarity", "experience",
        "learnerLanguageLevel", "mentorLanguageLevel", "timeZoneGap", "overlapHours", "distanceToRadius", "followThrough",
        "activeMentees", "capacity", "learnerInPerson", "learnerPhoneOnly", "goalsAsked",
        "asksCvReview", "asksProfessionalProject", "asksInterviewPreparation", "asksJobSearch", "asksDigitalSkills", "asksFrenchPractice",
        "asksEntrepreneurship", "asksSectorKnowledge",
        "offersCvReview", "offersProfessionalProject", "offersInterviewPreparation", "offersJobSearch", "offersDigitalSkills", "offersFrenchPractice",
        "offersEntrepreneurship", "offersSectorKnowledge",
        "expertiseOffered", "learnerFrenchLevel", "mentorFrenchLevel",
    ];

    /// <summary>
    /// The first 12 are made by hand for what mentoring needs (and what the rules weigh). The others are raw facts of each
    /// side and of the pair, as the format carries them, so that trees can find interactions nobody wrote down (a
    /// deployment's world will differ from the synthetic one): each side's best level in a language they share, the
    /// time-zone gap in the reference week, the hours in common uncapped, the distance as a share of the travel radius,
    /// the mentor's follow-through (sessions held per accepted proposal), their mentees and places, and what the learner
    /// asked (to meet in person, by phone only, how many goals). Then (issue 19, item 8: a world the team did not write
    /// turned on them) which goals were asked and which expertise the mentor lists, one flag each in
    /// <see cref="Expertise"/> order, how many the mentor lists, and each side's level in French, the language of the
    /// service (0 when not spoken).
    /// </summary>
    public const int Count = 42;
    public const int GoalOverlap = 0, LanguageLevel = 1, AvailabilityOverlap = 2, Proximity = 3, ModeFit = 4, MentorLoad = 5,
        AcceptanceRecord = 6, RatingRecord = 7, OccupationMatch = 8, SectorMatch = 9, TextSimilarity = 10, Experience = 11,
        LearnerLanguageLevel = 12, MentorLanguageLevel = 13, TimeZoneGap = 14, OverlapHours = 15, DistanceToRadius = 16, FollowThrough = 17,
        ActiveMentees = 18, Capacity = 19, LearnerInPerson = 20, LearnerPhoneOnly = 21, GoalsAsked = 22,
        Asks = 23, Offers = 31, ExpertiseOffered = 39, LearnerFrenchLevel = 40, MentorFrenchLevel = 41;

    /// <summary>How many <see cref="Expertise"/> values there are: the flags of <see cref="Asks"/> and of <see cref="Offers"/>.</summary>
    public const int ExpertiseKinds = 8;

    /// <summary>The language whose level is a feature of its own: the service's.</summary>
    public const string French = "fr";

    /// <summary>Scales of the raw facts (each value is divided by its scale and capped at 1).</summary>
    public const double GapScaleHours = 12, OverlapScaleHours = 40, DistanceScaleRadii = 4, MenteeScale = 10, GoalScale = 4;

    public static void Compute(MatchRequest request, PreparedLearner learner, PreparedMentor mentor, Span<float> into)
    {
        var m = mentor.Profile;
        var goals = request.Goals;
        var covered = 0;
        foreach (var g in goals) if (m.Expertise.Contains(g)) covered++;
        into[GoalOverlap] = goals.Count == 0 ? 0 : (float)covered / goals.Count;
        var (bestLevel, learnerLevel, mentorLevel) = SharedLevels(learner.Profile, m);
        into[LanguageLevel] = bestLevel / 7f;
        var overlap = learner.Time.OverlapHours(mentor.Time);
        into[AvailabilityOverlap] = (float)Math.Min(1, overlap / 10.0);
        var distance = Distance(learner.Profile, m);
        into[Proximity] = distance is { } d && m.TravelRadiusKm > 0 ? (float)Math.Max(0, 1 - d / m.TravelRadiusKm) : 0;
        var shared = learner.Profile.Modes.Count(m.Modes.Contains);
        into[ModeFit] = learner.Profile.Modes.Count == 0 ? 0 : (float)shared / learner.Profile.Modes.Count;
        into[MentorLoad] = m.Capacity <= 0 ? 1 : Math.Min(1, (float)m.Load / m.Capacity);
        var r = m.Record;
        into[AcceptanceRecord] = r is null ? 0.5f : (r.Accepted + 1f) / (r.Proposals + 2f); // smoothed: unknown = 0.5
        into[RatingRecord] = r?.AverageRating is { } rating ? (float)Math.Clamp((rating - 1) / 4, 0, 1) : 0.5f;
        into[OccupationMatch] = OccupationSimilarity(learner.Profile, m);
        into[SectorMatch] = learner.Profile.TargetSector is { } s && m.Sector is { } ms && string.Equals(s.Trim(), ms.Trim(), StringComparison.OrdinalIgnoreCase) ? 1 : 0;
        into[TextSimilarity] = (float)request.GoalTextVector().Cosine(mentor.Bio);
        into[Experience] = Math.Min(30, Math.Max(0, m.YearsOfExperience)) / 30f;
        into[LearnerLanguageLevel] = learnerLevel / 7f;
        into[MentorLanguageLevel] = mentorLevel / 7f;
        into[TimeZoneGap] = Scaled(Math.Abs(learner.UtcOffsetHours - mentor.UtcOffsetHours), GapScaleHours);
        into[OverlapHours] = Scaled(overlap, OverlapScaleHours);
        into[DistanceToRadius] = distance is { } km && m.TravelRadiusKm > 0 ? Scaled(km / m.TravelRadiusKm, DistanceScaleRadii) : 1; // unknown: as far as it goes
        into[FollowThrough] = FollowThroughOf(m);
        into[ActiveMentees] = Scaled(m.ActiveMentees, MenteeScale);
        into[Capacity] = Scaled(m.Capacity, MenteeScale);
        into[LearnerInPerson] = learner.Profile.Modes.Contains(SessionMode.InPerson) ? 1 : 0;
        into[LearnerPhoneOnly] = PhoneOnly(learner.Profile) ? 1 : 0;
        into[GoalsAsked] = Scaled(goals.Count, GoalScale);
        into.Slice(Asks, 2 * ExpertiseKinds).Clear();
        foreach (var g in goals) into[Asks + (int)g] = 1;
        foreach (var e in m.Expertise) into[Offers + (int)e] = 1;
        into[ExpertiseOffered] = ExpertiseCount(m);
        into[LearnerFrenchLevel] = LevelIn(learner.Profile.Languages, French) / 7f;
        into[MentorFrenchLevel] = LevelIn(m.Languages, French) / 7f;
    }

    /// <summary>The distinct expertise a mentor lists, as a share of all there are.</summary>
    public static float ExpertiseCount(MentorProfile m)
    {
        var bits = 0;
        foreach (var e in m.Expertise) bits |= 1 << (int)e;
        return System.Numerics.BitOperations.PopCount((uint)bits) / (float)ExpertiseKinds;
    }

    /// <summary>The level of <paramref name="language"/> in a list of skills, 0 when absent.</summary>
    public static int LevelIn(IReadOnlyList<LanguageSkill> skills, string language)
    {
        var level = 0;
        foreach (var s in skills) if (string.Equals(s.Language, language, StringComparison.OrdinalIgnoreCase)) level = Math.Max(level, (int)s.Level);
        return level;
    }

    /// <summary>A raw fact divided by its scale, in [0, 1].</summary>
    public static float Scaled(double value, double scale) => (float)Math.Clamp(value / scale, 0, 1);

    /// <summary>Sessions held per accepted proposal, smoothed (unknown = 0.5).</summary>
    public static float FollowThroughOf(MentorProfile m) => m.Record is { } r ? (r.SessionsHeld + 1f) / (r.Accepted + 2f) : 0.5f;

    public static bool PhoneOnly(LearnerProfile l) => l.Modes.Count == 1 && l.Modes[0] == SessionMode.Phone;

    /// <summary>Over the languages both speak (0 when none): the best level they share (the lower of the two sides'), and each side's best level.</summary>
    public static (int Best, int Learner, int Mentor) SharedLevels(LearnerProfile learner, MentorProfile mentor)
    {
        var (best, a, b) = (0, 0, 0);
        foreach (var l in learner.Languages)
            foreach (var ml in mentor.Languages)
                if (string.Equals(l.Language, ml.Language, StringComparison.OrdinalIgnoreCase))
                    (best, a, b) = (Math.Max(best, Math.Min((int)l.Level, (int)ml.Level)), Math.Max(a, (int)l.Level), Math.Max(b, (int)ml.Level));
        return (best, a, b);
    }

    public static double? Distance(LearnerProfile learner, MentorProfile mentor) =>
        learner.Place is { } a && mentor.Home is { } b ? Geo.DistanceKm(a.Latitude, a.Longitude, b.Latitude, b.Longitude) : null;

    private static float OccupationSimilarity(LearnerProfile learner, MentorProfile mentor)
    {
        if (learner.TargetRome is { } rome && mentor.Rome is { } mr)
        {
            if (string.Equals(rome, mr, StringComparison.OrdinalIgnoreCase)) return 1;
            if (rome.Length >= 3 && mr.Length >= 3 && string.Equals(rome[..3], mr[..3], StringComparison.OrdinalIgnoreCase)) return 0.6f; // same ROME domain
        }
        if (learner.TargetOccupation is { } o && mentor.Occupation is { } mo)
        {
            var similarity = TextVector.From(o).Cosine(TextVector.From(mo));
            return (float)Math.Min(1, similarity);
        }
        return 0;
    }
}

/// <summary>A mentor with what every request needs precomputed once per snapshot.</summary>
public sealed class PreparedMentor(MentorProfile profile, DateTime weekStartUtc)
{
    public MentorProfile Profile { get; } = profile;
    public WeeklyTime Time { get; } = WeeklyTime.From(profile.Availability, weekStartUtc);
    public double UtcOffsetHours { get; } = WeeklyTime.UtcOffsetHours(profile.Availability.TimeZone, weekStartUtc);
    public TextVector Bio { get; } = TextVector.From(string.Join(' ', profile.Bio, profile.Occupation, profile.Sector));
}

public sealed class PreparedLearner(LearnerProfile profile, DateTime weekStartUtc)
{
    public LearnerProfile Profile { get; } = profile;
    public WeeklyTime Time { get; } = WeeklyTime.From(profile.Availability, weekStartUtc);
    public double UtcOffsetHours { get; } = WeeklyTime.UtcOffsetHours(profile.Availability.TimeZone, weekStartUtc);
}

public static class MatchRequestExtensions
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MatchRequest, TextVector> Vectors = new();

    public static TextVector GoalTextVector(this MatchRequest request) =>
        Vectors.GetValue(request, r => TextVector.From(string.Join(' ', r.GoalText, r.Learner.TargetOccupation, r.Learner.TargetSector)));
}
