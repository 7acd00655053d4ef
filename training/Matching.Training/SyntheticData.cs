using Matching.Engine;

namespace Matching.Training;

/// <summary>
/// SYNTHETIC data for bootstrapping, before real outcomes exist. Seeded, so the same seed gives the same
/// file. Profiles are plausible (languages, occupations with ROME codes, evening and weekend availability
/// across a few time zones); outcomes are drawn from <see cref="Truth"/>, an explicit, written-down model of
/// what makes a mentoring pair work (docs/matching-model.md). Proposals shown in the synthetic history are a
/// random sample of eligible mentors, so the labels do not inherit any scorer's choices.
/// </summary>
public static class SyntheticData
{
    private static readonly (string Occupation, string Rome, string Sector)[] Occupations =
    [
        ("software developer", "M1805", "digital"), ("web designer", "E1205", "digital"), ("network technician", "I1401", "digital"),
        ("accountant", "M1203", "finance"), ("bank advisor", "C1206", "finance"), ("nurse", "J1506", "health"),
        ("care assistant", "J1501", "health"), ("logistics manager", "N1301", "logistics"), ("warehouse team leader", "N1103", "logistics"),
        ("chef", "G1602", "hospitality"), ("hotel receptionist", "G1703", "hospitality"), ("electrician", "F1602", "construction"),
        ("site manager", "F1201", "construction"), ("recruiter", "M1502", "human resources"), ("sales representative", "D1402", "retail"),
        ("shop manager", "D1301", "retail"), ("teacher", "K2107", "education"), ("social worker", "K1201", "social"),
        ("entrepreneur", "M1302", "business"), ("graphic designer", "E1205", "media"),
    ];

    private static readonly string[] Zones = ["Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/Paris", "Europe/London", "Africa/Casablanca", "America/Toronto", "Asia/Beirut"];
    private static readonly string[] Languages = ["fr", "en", "ar", "uk", "fa", "ps", "es", "ti", "ru"];

    private static readonly Dictionary<Expertise, string[]> GoalWords = new()
    {
        [Expertise.CvReview] = ["update my CV", "write a resume", "present my experience"],
        [Expertise.ProfessionalProject] = ["build a professional project", "change career", "find a training path"],
        [Expertise.InterviewPreparation] = ["prepare job interviews", "practise interviews"],
        [Expertise.JobSearch] = ["find a job", "apply to offers", "search for work"],
        [Expertise.DigitalSkills] = ["use a computer", "learn office software", "use online services"],
        [Expertise.FrenchPractice] = ["practise French", "speak French at work"],
        [Expertise.Entrepreneurship] = ["start a business", "create my company"],
        [Expertise.SectorKnowledge] = ["understand the sector", "learn how the trade works"],
    };

    /// <param name="Declines">The service's own lifecycle: the learner chooses among the proposals shown, from the top
    /// of the rules' ranking (the service's before any model), and each choice is offered to its mentor, who decides and
    /// says why they decline (<see cref="DeclineChances"/>), until one accepts or <see cref="OffersPerRequest"/> were
    /// declined; the others are never offered. An accepted match works with the chance <see cref="Truth"/> gives. Without it, every proposal
    /// shown has an outcome and <see cref="Truth"/> is the chance of the whole (accepted and worked), as in the world
    /// the shipped model was trained on.</param>
    /// <param name="World">1: <see cref="Truth"/> decides what works (the world the shipped model learnt); 2: <see cref="SecondTruth"/>,
    /// whose hidden rules differ, to test features on a world nobody wrote them for; 3: <see cref="ThirdTruth"/>, a third family of
    /// rules (through the expertise lists and thresholds on French levels), written before any model was trained on it.</param>
    public sealed record Options(int Mentors = 800, int Learners = 2500, int CandidatesPerRequest = 12, int Seed = 42, bool Declines = false, int World = 1);

    /// <summary>The proposals as the service ranks them before any model (the rules): learners choose from the top.</summary>
    private static List<PreparedMentor> InRulesOrder(MatchRequest request, PreparedLearner learner, List<PreparedMentor> shown)
    {
        var features = new float[shown.Count * PairFeatures.Count];
        for (var i = 0; i < shown.Count; i++) PairFeatures.Compute(request, learner, shown[i], features.AsSpan(i * PairFeatures.Count, PairFeatures.Count));
        var scores = new float[shown.Count];
        new RuleScorer().Score(features, scores);
        return [.. Enumerable.Range(0, shown.Count).OrderByDescending(i => scores[i]).Select(i => shown[i])];
    }

    /// <summary>How many declined offers a learner goes through before giving up (the Declines world).</summary>
    public const int OffersPerRequest = 3;

    /// <summary>The reference week the studies and benchmarks draw their worlds in (any fixed week would do).</summary>
    public static readonly DateTime StudyWeek = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A synthetic world as it would be read from its file (profiles and outcomes), without writing one.</summary>
    public static TrainingData Generate(Options options, DateTime weekStartUtc)
    {
        var text = new StringWriter();
        Write(text, options, weekStartUtc);
        return TrainingData.Read(new StringReader(text.ToString()));
    }

    /// <summary>Writes a complete training file (mentors, learners, outcomes) to <paramref name="writer"/>.</summary>
    public static (int Mentors, int Learners, int Outcomes) Write(TextWriter writer, Options options, DateTime weekStartUtc)
    {
        var random = new Random(options.Seed);
        var mentors = Enumerable.Range(0, options.Mentors).Select(i => Mentor(random, $"m{i:D5}")).ToList();
        var learners = Enumerable.Range(0, options.Learners).Select(i => Learner(random, $"l{i:D5}")).ToList();
        foreach (var m in mentors) writer.WriteLine(TrainingData.Line("mentor", m));
        foreach (var l in learners) writer.WriteLine(TrainingData.Line("learner", l));
        var prepared = mentors.Select(m => new PreparedMentor(m, weekStartUtc)).ToList();
        var outcomes = 0;
        var features = new float[PairFeatures.Count];
        foreach (var (learnerProfile, index) in learners.Select((l, i) => (l, i)))
        {
            var (goals, text) = Goals(random, learnerProfile);
            var request = new MatchRequest(learnerProfile, goals, text);
            var learner = new PreparedLearner(learnerProfile, weekStartUtc);
            var eligible = prepared.Where(m => Filters.Check(learner, m) == Exclusion.None).ToList();
            var (offers, matched) = (0, false);
            var shown = eligible.OrderBy(_ => random.Next()).Take(options.CandidatesPerRequest).ToList();
            if (options.Declines) shown = InRulesOrder(request, learner, shown);
            foreach (var mentor in shown)
            {
                PairFeatures.Compute(request, learner, mentor, features);
                var p = Chance(options.World, request, mentor.Profile, features, random);
                Outcome outcome;
                if (options.Declines && (matched || offers == OffersPerRequest))
                    outcome = new Outcome($"r{index:D5}", learnerProfile.Id, mentor.Profile.Id, goals, text, false, false, null, Offered: false); // shown, never chosen
                else if (options.Declines)
                {
                    offers++;
                    var reason = Decide(DeclineChances(request, features), random);
                    matched = reason is null;
                    var works = reason is null && random.NextDouble() < p;
                    var held = works || reason is null && random.NextDouble() < 0.5;
                    int? rating = works ? Math.Clamp((int)Math.Round(3 + 2 * p + Normal(random) * 0.5), 3, 5) : held ? random.Next(1, 3) : null;
                    outcome = new Outcome($"r{index:D5}", learnerProfile.Id, mentor.Profile.Id, goals, text, reason is null, held, rating, Offered: true, DeclineReason: reason);
                }
                else
                {
                    var accepted = random.NextDouble() < p;
                    var held = accepted && random.NextDouble() < 0.9;
                    int? rating = held ? Math.Clamp((int)Math.Round(2 + 3 * p + Normal(random) * 0.7), 1, 5) : null;
                    outcome = new Outcome($"r{index:D5}", learnerProfile.Id, mentor.Profile.Id, goals, text, accepted, held, rating);
                }
                writer.WriteLine(TrainingData.Line("outcome", outcome));
                outcomes++;
            }
        }
        return (mentors.Count, learners.Count, outcomes);
    }

    /// <summary>
    /// The written-down model of what makes a pair work (see docs/matching-model.md): the probability that a
    /// proposal is accepted and leads to sessions. It has thresholds and interactions on purpose (a sector
    /// mentor matters for a professional project, not for French practice; overload makes mentors drop out;
    /// a basic shared language is a barrier unless French practice is the goal), which a weighted sum cannot
    /// express.
    /// </summary>
    /// <param name="noise">Draws the pair's own luck; null for the expected chance (the oracle's ranking).</param>
    /// <param name="quality">The mentor's engagement, when the world has one nobody sees (<see cref="ExplorationSimulation"/>): it then
    /// stands in for the track-record terms, and the record is only its trace.</param>
    public static double Truth(MatchRequest request, ReadOnlySpan<float> f, Random? noise, double? quality = null)
    {
        var goals = request.Goals;
        var careerGoal = goals.Any(g => g is Expertise.SectorKnowledge or Expertise.ProfessionalProject or Expertise.InterviewPreparation);
        var level = f[PairFeatures.LanguageLevel] * 7;
        double z = -2.0;
        z += 2.6 * f[PairFeatures.GoalOverlap];
        z += careerGoal ? 2.4 * f[PairFeatures.OccupationMatch] + 1.0 * f[PairFeatures.SectorMatch] : 0.2 * f[PairFeatures.OccupationMatch];
        if (goals.Contains(Expertise.FrenchPractice)) z += level >= 6 ? 0.9 : 0;
        else z += level <= 3 ? -1.4 : level >= 5 ? 0.4 : 0;
        z += 1.4 * Math.Log(1 + 10 * f[PairFeatures.AvailabilityOverlap]) / Math.Log(11);
        z += f[PairFeatures.MentorLoad] >= 0.5 ? -1.8 : 0.3;
        z += quality ?? 1.6 * (f[PairFeatures.AcceptanceRecord] - 0.5) + 0.8 * (f[PairFeatures.RatingRecord] - 0.5);
        var phoneOnly = request.Learner.Modes.Count == 1 && request.Learner.Modes[0] == SessionMode.Phone;
        if (phoneOnly) z += f[PairFeatures.ModeFit] >= 1 ? 0.6 : -0.6;
        z += 0.8 * f[PairFeatures.TextSimilarity];
        if (noise is not null) z += Normal(noise) * 0.4;
        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>
    /// The second world's hidden rules: not what the first rewards, and mostly in the raw facts rather than the hand-made
    /// features, with other interactions and other signs. Goals matter less; mid-career mentors (8 to 20 years) do best
    /// and beginners worst; a gap of more than 3 hours between time zones hurts; for job search a mentor from another
    /// sector widens the network (sector match counts against), elsewhere it helps; follow-through matters, acceptance
    /// does not; mentors with one or two mentees already do better than idle ones; a learner who wants to meet in person
    /// needs a mentor within half the travel radius; a learner with two goals or more needs a mentor covering them; a
    /// learner below B2 does well only with a native speaker of the shared language; long weekly overlaps help.
    /// </summary>
    public static double SecondTruth(MatchRequest request, ReadOnlySpan<float> f, Random? noise)
    {
        double z = -1.0;
        z += 1.0 * f[PairFeatures.GoalOverlap];
        var years = f[PairFeatures.Experience] * 30;
        z += years is >= 8 and <= 20 ? 0.9 : years < 4 ? -0.8 : 0;
        z += f[PairFeatures.TimeZoneGap] * PairFeatures.GapScaleHours > 3 ? -1.3 : 0.2;
        z += request.Goals.Contains(Expertise.JobSearch) ? -0.9 * f[PairFeatures.SectorMatch] : 0.5 * f[PairFeatures.SectorMatch];
        z += 2.4 * (f[PairFeatures.FollowThrough] - 0.5);
        var active = (int)Math.Round(f[PairFeatures.ActiveMentees] * PairFeatures.MenteeScale);
        z += active is 1 or 2 ? 0.6 : -0.2;
        if (f[PairFeatures.LearnerInPerson] > 0) z += f[PairFeatures.DistanceToRadius] * PairFeatures.DistanceScaleRadii <= 0.5 ? 0.8 : -1.0;
        if (f[PairFeatures.GoalsAsked] * PairFeatures.GoalScale >= 2) z += 1.6 * (f[PairFeatures.GoalOverlap] - 0.5);
        var learnerLevel = (int)Math.Round(f[PairFeatures.LearnerLanguageLevel] * 7);
        var mentorNative = (int)Math.Round(f[PairFeatures.MentorLanguageLevel] * 7) == (int)Cefr.Native;
        z += learnerLevel >= (int)Cefr.B2 ? 0.3 : mentorNative ? 0.2 : -1.1;
        var hours = f[PairFeatures.OverlapHours] * PairFeatures.OverlapScaleHours;
        z += hours >= 6 ? 0.8 : hours < 2 ? -0.7 : 0;
        if (noise is not null) z += Normal(noise) * 0.4;
        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>The chance that a pair works in world 1, 2 or 3 (<see cref="Options.World"/>); <paramref name="noise"/> null for the expected chance.</summary>
    public static double Chance(int world, MatchRequest request, MentorProfile mentor, ReadOnlySpan<float> f, Random? noise) => world switch
    {
        2 => SecondTruth(request, f, noise),
        3 => ThirdTruth(request, mentor, f, noise),
        _ => Truth(request, f, noise),
    };

    /// <summary>
    /// The third world's hidden rules, from another hand (issue 19): a family the other two do not use, read from the
    /// profiles themselves rather than from the features. What counts is which goals were asked against which expertise
    /// the mentor lists, and thresholds on French levels. A covered goal counts more from a specialist (three
    /// expertises or fewer) than from a generalist; a CV is better reviewed by a mentor who also prepares interviews; job
    /// search needs a mentor who knows the sector; entrepreneurship needs a mentor who lists it and has 10 years or more;
    /// digital skills go better with a mentor of under 10 years. A learner at A2 or below practising French needs a
    /// mentor who lists French practice; at B2 or above, French practice brings little; at B1, a native mentor helps. A
    /// learner at A2 or below in French with other goals needs another shared language at B2 or above. A mentor taking
    /// their last place does worse; three hours a week or more in common help.
    /// </summary>
    public static double ThirdTruth(MatchRequest request, MentorProfile mentor, ReadOnlySpan<float> f, Random? noise)
    {
        var (asked, offered) = (request.Goals, mentor.Expertise);
        double z = -1.3;
        var specialist = offered.Count <= 3;
        foreach (var goal in asked) if (offered.Contains(goal)) z += specialist ? 0.9 : 0.4;
        if (asked.Contains(Expertise.CvReview) && offered.Contains(Expertise.InterviewPreparation)) z += 0.6;
        if (asked.Contains(Expertise.JobSearch)) z += offered.Contains(Expertise.SectorKnowledge) ? 0.7 : -0.3;
        if (asked.Contains(Expertise.Entrepreneurship)) z += offered.Contains(Expertise.Entrepreneurship) && mentor.YearsOfExperience >= 10 ? 1.2 : -0.8;
        if (asked.Contains(Expertise.DigitalSkills)) z += mentor.YearsOfExperience < 10 ? 0.5 : 0;
        var learnerFrench = PairFeatures.LevelIn(request.Learner.Languages, PairFeatures.French);
        var mentorFrench = PairFeatures.LevelIn(mentor.Languages, PairFeatures.French);
        if (asked.Contains(Expertise.FrenchPractice))
            z += learnerFrench <= (int)Cefr.A2 ? (offered.Contains(Expertise.FrenchPractice) ? 1.0 : -1.0)
                : learnerFrench >= (int)Cefr.B2 ? -0.4
                : mentorFrench == (int)Cefr.Native ? 0.5 : 0;
        else if (learnerFrench <= (int)Cefr.A2)
        {
            var other = 0;
            foreach (var l in request.Learner.Languages)
                if (!string.Equals(l.Language, PairFeatures.French, StringComparison.OrdinalIgnoreCase))
                    other = Math.Max(other, Math.Min((int)l.Level, PairFeatures.LevelIn(mentor.Languages, l.Language)));
            z += other >= (int)Cefr.B2 ? 0.7 : -1.2;
        }
        z += mentor.Capacity - mentor.ActiveMentees == 1 ? -0.4 : 0.2;
        z += f[PairFeatures.OverlapHours] * PairFeatures.OverlapScaleHours >= 3 ? 0.5 : -0.3;
        if (noise is not null) z += Normal(noise) * 0.4;
        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>
    /// The mentor's side, in a world where mentors decide (<see cref="Options.Declines"/>): the chance of declining an offer
    /// for each reason, each independent. A learner who asked to meet in person is declined as too far the farther they
    /// live within (or beyond) the mentor's radius; a basic shared language is declined, the more so the more basic;
    /// busy mentors have no time now; goals outside the mentor's expertise are declined.
    /// </summary>
    public static (double TooFar, double Language, double NoTimeNow, double OutsideExpertise) DeclineChances(MatchRequest request, ReadOnlySpan<float> f)
    {
        var wantsToMeet = request.Learner.Modes.Contains(SessionMode.InPerson);
        var level = (int)Math.Round(f[PairFeatures.LanguageLevel] * 7);
        return (wantsToMeet ? 0.7 * (1 - f[PairFeatures.Proximity]) : 0,
            level switch { <= 2 => 0.7, 3 => 0.45, 4 => 0.2, _ => 0 },
            0.08 + 0.3 * f[PairFeatures.MentorLoad],
            0.4 * (1 - f[PairFeatures.GoalOverlap]));
    }

    /// <summary>The chance that the mentor accepts: no reason to decline applied.</summary>
    public static double AcceptChance((double TooFar, double Language, double NoTimeNow, double OutsideExpertise) h) =>
        (1 - h.TooFar) * (1 - h.Language) * (1 - h.NoTimeNow) * (1 - h.OutsideExpertise);

    /// <summary>Null (accepted), or the decline reason as the service records it: each reason applies with its chance, the first that does is given.</summary>
    private static string? Decide((double TooFar, double Language, double NoTimeNow, double OutsideExpertise) h, Random r)
    {
        // Drawn in a random order, so that no reason hides another behind it.
        var reasons = new (double Chance, string Code)[] { (h.TooFar, "tooFar"), (h.Language, "language"), (h.NoTimeNow, "noTimeNow"), (h.OutsideExpertise, "outsideExpertise") };
        foreach (var (chance, code) in reasons.OrderBy(_ => r.Next()))
            if (r.NextDouble() < chance) return code;
        return null;
    }

    internal static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    internal static MentorProfile Mentor(Random r, string id)
    {
        var job = Occupations[r.Next(Occupations.Length)];
        var languages = new List<LanguageSkill> { new("fr", r.NextDouble() < 0.8 ? Cefr.Native : Cefr.C1) };
        if (r.NextDouble() < 0.6) languages.Add(new("en", (Cefr)r.Next(3, 7)));
        if (r.NextDouble() < 0.2) languages.Add(new(Languages[r.Next(2, Languages.Length)], (Cefr)r.Next(4, 8)));
        var expertise = Enum.GetValues<Expertise>().Where(_ => r.NextDouble() < 0.35).ToList();
        if (expertise.Count == 0) expertise.Add(Expertise.CvReview);
        var modes = new List<SessionMode> { SessionMode.Video };
        if (r.NextDouble() < 0.6) modes.Add(SessionMode.Phone);
        if (r.NextDouble() < 0.3) modes.Add(SessionMode.InPerson);
        var capacity = r.Next(1, 4);
        var proposals = r.Next(0, 12);
        var accepted = proposals == 0 ? 0 : r.Next(0, proposals + 1);
        var bio = $"{job.Occupation} in {job.Sector}; I help with {string.Join(", ", expertise.Select(e => GoalWords[e][0]))}.";
        return new MentorProfile(id, languages, expertise, job.Occupation, job.Sector, job.Rome, r.Next(1, 35), modes,
            new Place(43 + r.NextDouble() * 6, -1 + r.NextDouble() * 7), r.Next(5, 40), Availability(r, 3, 6), capacity,
            r.Next(0, capacity + 1), 0, r.NextDouble() < 0.05, bio, r.NextDouble() < 0.5 ? Gender.Woman : Gender.Man,
            proposals == 0 ? null : new TrackRecord(proposals, accepted, r.Next(0, accepted + 1), accepted == 0 ? null : 2.5 + r.NextDouble() * 2.5));
    }

    internal static LearnerProfile Learner(Random r, string id)
    {
        var job = Occupations[r.Next(Occupations.Length)];
        var languages = new List<LanguageSkill> { new(Languages[r.Next(Languages.Length)], Cefr.Native), new("fr", (Cefr)r.Next(1, 6)) };
        if (r.NextDouble() < 0.4) languages.Add(new("en", (Cefr)r.Next(1, 6)));
        var modes = r.NextDouble() < 0.2 ? new List<SessionMode> { SessionMode.Phone } : [SessionMode.Video, SessionMode.Phone];
        if (r.NextDouble() < 0.3) modes.Add(SessionMode.InPerson);
        return new LearnerProfile(id, languages, job.Occupation, job.Sector, r.NextDouble() < 0.7 ? job.Rome : null, modes,
            new Place(43 + r.NextDouble() * 6, -1 + r.NextDouble() * 7), Availability(r, 2, 8),
            r.NextDouble() < 0.05 ? Gender.Woman : null);
    }

    internal static (IReadOnlyList<Expertise>, string) Goals(Random r, LearnerProfile learner)
    {
        var all = Enum.GetValues<Expertise>();
        var goals = all.OrderBy(_ => r.Next()).Take(r.Next(1, 3)).ToList();
        var text = string.Join(" and ", goals.Select(g => GoalWords[g][r.Next(GoalWords[g].Length)])) + $" as a {learner.TargetOccupation}";
        return (goals, "I want to " + text);
    }

    private static Availability Availability(Random r, int minSlots, int maxSlots)
    {
        var zone = Zones[r.Next(Zones.Length)];
        var slots = new List<WeeklySlot>();
        for (var i = r.Next(minSlots, maxSlots + 1); i > 0; i--)
        {
            var day = (DayOfWeek)r.Next(7);
            var weekend = day is DayOfWeek.Saturday or DayOfWeek.Sunday;
            var start = weekend ? r.Next(9, 17) : r.NextDouble() < 0.3 ? r.Next(9, 16) : r.Next(17, 21);
            slots.Add(new WeeklySlot(day, new TimeOnly(start, 0), new TimeOnly(start + r.Next(1, 3), 0)));
        }
        return new Availability(zone, slots);
    }
}
