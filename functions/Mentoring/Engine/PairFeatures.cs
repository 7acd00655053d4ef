namespace Matching.Mentoring.Engine;

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

    /// <summary>Plain words for each feature, used by explanations.</summary>
    public static readonly string[] Phrases =
    [
        "can help with what the learner asked for",
        "shares a language at a comfortable level",
        "has plenty of time in common each week",
        "lives close enough to meet in person",
        "meets the way the learner can (video, phone, in person)",
        "has room for a new mentee",
        "has had proposals accepted before",
        "has been rated well by earlier mentees",
        "works in the occupation the learner aims for",
        "works in the learner's target sector",
        "describes experience close to the learner's goals",
        "has years of professional experience",
        "suits the learner's level in the language they share",
        "speaks the shared language fluently",
        "lives in a time zone that suits the learner",
        "has many hours a week in common with the learner",
        "lives at a distance that suits the learner",
        "follows through once a match is accepted",
        "has the right number of mentees at the moment",
        "offers the right number of places",
        "suits a learner who wants to meet in person",
        "suits a learner who can only meet by phone",
        "suits the number of goals the learner asked for",
        "suits a learner who wants help with a CV", "suits a learner building a professional project", "suits a learner preparing interviews",
        "suits a learner looking for a job", "suits a learner learning digital skills", "suits a learner practising French",
        "suits a learner starting a business", "suits a learner discovering a sector",
        "reviews CVs", "helps build professional projects", "prepares interviews", "helps with job search", "teaches digital skills",
        "helps practise French", "knows entrepreneurship", "knows a sector from the inside",
        "has a range of expertise that suits the request", "suits the learner's level in French", "speaks French at a level that suits the learner",
    ];

    /// <summary>The same, addressed to the mentor reading why they were proposed ("you ..."; issue 29: they read it in the third person).</summary>
    public static readonly string[] YouPhrases =
    [
        "you can help with what the learner asked for",
        "you share a language at a comfortable level",
        "you have plenty of time in common each week",
        "you live close enough to meet in person",
        "you meet the way the learner can (video, phone, in person)",
        "you have room for a new mentee",
        "you have had proposals accepted before",
        "you have been rated well by earlier mentees",
        "you work in the occupation the learner aims for",
        "you work in the learner's target sector",
        "you describe experience close to the learner's goals",
        "you have years of professional experience",
        "you suit the learner's level in the language they share",
        "you speak the shared language fluently",
        "you live in a time zone that suits the learner",
        "you have many hours a week in common with the learner",
        "you live at a distance that suits the learner",
        "you follow through once a match is accepted",
        "you have the right number of mentees at the moment",
        "you offer the right number of places",
        "you suit a learner who wants to meet in person",
        "you suit a learner who can only meet by phone",
        "you suit the number of goals the learner asked for",
        "you suit a learner who wants help with a CV",
        "you suit a learner building a professional project",
        "you suit a learner preparing interviews",
        "you suit a learner looking for a job",
        "you suit a learner learning digital skills",
        "you suit a learner practising French",
        "you suit a learner starting a business",
        "you suit a learner discovering a sector",
        "you review CVs",
        "you help build professional projects",
        "you prepare interviews",
        "you help with job search",
        "you teach digital skills",
        "you help practise French",
        "you know entrepreneurship",
        "you know a sector from the inside",
        "you have a range of expertise that suits the request",
        "you suit the learner's level in French",
        "you speak French at a level that suits the learner",
    ];

    /// <summary>The negative phrases addressed to the mentor.</summary>
    public static readonly string[] YouNegativePhrases =
    [
        "you cover only part of what the learner asked for",
        "you share a language only at a basic level",
        "you have little time in common with the learner",
        "you live far from the learner",
        "you cannot meet in every way the learner can",
        "you are already close to full capacity",
        "you have had few proposals accepted so far",
        "you have mixed ratings from earlier mentees",
        "you work in a different occupation",
        "you work in another sector",
        "you describe experience that differs from the learner's goals",
        "you have fewer years of experience",
        "you do not suit the learner's level in the language they share",
        "you speak the shared language less fluently",
        "you live several time zones away",
        "you have few hours a week in common with the learner",
        "you would have far to travel to meet the learner",
        "you have not always followed through once a match was accepted",
        "you have many mentees at the moment",
        "you offer few places",
        "you suit learners who meet in person less well",
        "you suit learners who can only meet by phone less well",
        "you suit the number of goals the learner asked for less well",
        "you suit a learner who wants help with a CV less well",
        "you suit a learner building a professional project less well",
        "you suit a learner preparing interviews less well",
        "you suit a learner looking for a job less well",
        "you suit a learner learning digital skills less well",
        "you suit a learner practising French less well",
        "you suit a learner starting a business less well",
        "you suit a learner discovering a sector less well",
        "you do not list CV review",
        "you do not list professional projects",
        "you do not list interview preparation",
        "you do not list job search",
        "you do not list digital skills",
        "you do not list French practice",
        "you do not list entrepreneurship",
        "you do not list sector knowledge",
        "you list a range of expertise that suits the request less well",
        "you do not suit the learner's level in French",
        "you speak French at a level that suits the learner less well",
    ];

    /// <summary>Plain words for each feature when it counts against a pair, used by explanations.</summary>
    public static readonly string[] NegativePhrases =
    [
        "covers only part of what the learner asked for",
        "shares a language only at a basic level",
        "has little time in common with the learner",
        "lives far from the learner",
        "cannot meet in every way the learner can",
        "is already close to full capacity",
        "has had few proposals accepted so far",
        "has mixed ratings from earlier mentees",
        "works in a different occupation",
        "works in another sector",
        "describes experience that differs from the learner's goals",
        "has fewer years of experience",
        "does not suit the learner's level in the language they share",
        "speaks the shared language less fluently",
        "lives several time zones away",
        "has few hours a week in common with the learner",
        "would have far to travel to meet the learner",
        "has not always followed through once a match was accepted",
        "has many mentees at the moment",
        "offers few places",
        "suits learners who meet in person less well",
        "suits learners who can only meet by phone less well",
        "suits the number of goals the learner asked for less well",
        "suits a learner who wants help with a CV less well", "suits a learner building a professional project less well",
        "suits a learner preparing interviews less well", "suits a learner looking for a job less well",
        "suits a learner learning digital skills less well", "suits a learner practising French less well",
        "suits a learner starting a business less well", "suits a learner discovering a sector less well",
        "does not list CV review", "does not list professional projects", "does not list interview preparation",
        "does not list job search", "does not list digital skills", "does not list French practice",
        "does not list entrepreneurship", "does not list sector knowledge",
        "lists a range of expertise that suits the request less well", "does not suit the learner's level in French",
        "speaks French at a level that suits the learner less well",
    ];

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
        learner.Place is { } a && mentor.Home is { } b ? Platform.Geo.DistanceKm(a.Latitude, a.Longitude, b.Latitude, b.Longitude) : null;

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
