using Matching.Engine;

namespace Matching.UnitTests.Mentoring;

public static class Sample
{
    public static readonly DateTime Week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));

    public static Availability Evenings(string zone = "Europe/Paris", params DayOfWeek[] days) =>
        new(zone, (days.Length == 0 ? [DayOfWeek.Monday, DayOfWeek.Wednesday] : days).Select(d => new WeeklySlot(d, new TimeOnly(18, 0), new TimeOnly(20, 0))).ToList());

    public static MentorProfile Mentor(string id = "m1", Availability? availability = null, int capacity = 2, int active = 0, int pending = 0,
        bool paused = false, IReadOnlyList<SessionMode>? modes = null, Cefr french = Cefr.Native, Place? home = null, double radius = 0,
        Gender? gender = null, IReadOnlyList<Expertise>? expertise = null, string? rome = "M1805") =>
        new(id, [new LanguageSkill("fr", french)], expertise ?? [Expertise.CvReview, Expertise.InterviewPreparation], "software developer", "digital", rome, 10,
            modes ?? [SessionMode.Video, SessionMode.Phone], home, radius, availability ?? Evenings(), capacity, active, pending, paused,
            "Developer; I help with CV writing and interviews.", gender);

    public static LearnerProfile Learner(Availability? availability = null, IReadOnlyList<SessionMode>? modes = null, Cefr french = Cefr.B1,
        Place? place = null, Gender? preferred = null) =>
        new("l1", [new LanguageSkill("ar", Cefr.Native), new LanguageSkill("fr", french)], "web developer", "digital", "M1805",
            modes ?? [SessionMode.Phone], place, availability ?? Evenings(), preferred);

    public static MatchRequest Request(LearnerProfile? learner = null, params Expertise[] goals) =>
        new(learner ?? Learner(), goals.Length == 0 ? [Expertise.CvReview] : goals, "update my CV for developer jobs");

    public static Exclusion Check(LearnerProfile learner, MentorProfile mentor) =>
        Filters.Check(new PreparedLearner(learner, Week), new PreparedMentor(mentor, Week));
}

public sealed class WeeklyTimeTests
{
    [Fact]
    public void Same_zone_same_slots_overlap_fully()
    {
        var a = WeeklyTime.From(Sample.Evenings(), Sample.Week);
        Assert.Equal(4, a.TotalHours);
        Assert.Equal(4, a.OverlapHours(WeeklyTime.From(Sample.Evenings(), Sample.Week)));
    }

    [Fact]
    public void Time_zones_shift_the_overlap()
    {
        // 18:00-20:00 in Paris (UTC+1 in November) is 12:00-14:00 in Toronto (UTC-5): no overlap with Toronto evenings.
        var paris = WeeklyTime.From(Sample.Evenings("Europe/Paris"), Sample.Week);
        Assert.Equal(0, paris.OverlapHours(WeeklyTime.From(Sample.Evenings("America/Toronto"), Sample.Week)));
        // London is one hour behind Paris: 18-20 London = 19-21 Paris, so one hour a day in common.
        Assert.Equal(2, paris.OverlapHours(WeeklyTime.From(Sample.Evenings("Europe/London"), Sample.Week)));
    }

    [Fact]
    public void Daylight_saving_changes_are_applied_in_the_week_they_happen()
    {
        // Week of Monday 23 March 2026: Europe moves to summer time on Sunday 29 March, North America already did (8 March).
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 3, 24, 0, 0, 0, TimeSpan.Zero));
        var parisSunday = WeeklyTime.From(new Availability("Europe/Paris", [new WeeklySlot(DayOfWeek.Sunday, new TimeOnly(18, 0), new TimeOnly(20, 0))]), week);
        var montrealSunday = WeeklyTime.From(new Availability("America/Toronto", [new WeeklySlot(DayOfWeek.Sunday, new TimeOnly(12, 0), new TimeOnly(14, 0))]), week);
        // Sunday 29 March: Paris is UTC+2 (18:00 = 16:00Z), Toronto UTC-4 (12:00 = 16:00Z): the slots coincide.
        Assert.Equal(2, parisSunday.OverlapHours(montrealSunday));
        // A week earlier Paris was still UTC+1: 18:00 = 17:00Z, Toronto 12:00 = 16:00Z: one hour in common.
        var before = WeeklyTime.WeekStart(new DateTimeOffset(2026, 3, 17, 0, 0, 0, TimeSpan.Zero));
        var parisEarlier = WeeklyTime.From(new Availability("Europe/Paris", [new WeeklySlot(DayOfWeek.Sunday, new TimeOnly(18, 0), new TimeOnly(20, 0))]), before);
        var torontoEarlier = WeeklyTime.From(new Availability("America/Toronto", [new WeeklySlot(DayOfWeek.Sunday, new TimeOnly(12, 0), new TimeOnly(14, 0))]), before);
        Assert.Equal(1, parisEarlier.OverlapHours(torontoEarlier));
    }

    [Fact]
    public void A_slot_in_the_spring_forward_gap_starts_after_it()
    {
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 3, 24, 0, 0, 0, TimeSpan.Zero));
        var gap = WeeklyTime.From(new Availability("Europe/Paris", [new WeeklySlot(DayOfWeek.Sunday, new TimeOnly(2, 0), new TimeOnly(4, 0))]), week);
        Assert.Equal(1, gap.TotalHours); // 02:00-03:00 does not exist that night
    }

    [Fact]
    public void Unknown_zones_have_no_time()
    {
        Assert.False(WeeklyTime.IsKnownZone("Mars/Olympus"));
        Assert.Equal(0, WeeklyTime.From(Sample.Evenings("Mars/Olympus"), Sample.Week).TotalHours);
    }
}

public sealed class FilterTests
{
    [Fact]
    public void A_good_pair_passes() => Assert.Equal(Exclusion.None, Sample.Check(Sample.Learner(), Sample.Mentor()));

    [Fact]
    public void Each_hard_constraint_excludes_with_its_reason()
    {
        Assert.Equal(Exclusion.Paused, Sample.Check(Sample.Learner(), Sample.Mentor(paused: true)));
        Assert.Equal(Exclusion.NoSharedLanguage, Sample.Check(Sample.Learner(french: Cefr.A1), Sample.Mentor()));
        Assert.Equal(Exclusion.NoSharedLanguage, Sample.Check(Sample.Learner(), Sample.Mentor(french: Cefr.A2)));
        Assert.Equal(Exclusion.NoCompatibleMode, Sample.Check(Sample.Learner(modes: [SessionMode.Phone]), Sample.Mentor(modes: [SessionMode.Video])));
        Assert.Equal(Exclusion.NoCapacity, Sample.Check(Sample.Learner(), Sample.Mentor(capacity: 2, active: 1, pending: 1)));
        Assert.Equal(Exclusion.NoAvailabilityOverlap, Sample.Check(Sample.Learner(), Sample.Mentor(availability: Sample.Evenings("America/Toronto"))));
        Assert.Equal(Exclusion.PreferenceNotMet, Sample.Check(Sample.Learner(preferred: Gender.Woman), Sample.Mentor(gender: Gender.Man)));
        Assert.Equal(Exclusion.None, Sample.Check(Sample.Learner(preferred: Gender.Woman), Sample.Mentor(gender: Gender.Woman)));
    }

    [Fact]
    public void In_person_only_pairs_need_the_learner_within_the_mentor_radius()
    {
        var paris = new Place(48.8566, 2.3522);
        var gueret = new Place(46.1716, 1.8717);
        var learner = Sample.Learner(modes: [SessionMode.InPerson], place: gueret);
        Assert.Equal(Exclusion.TooFar, Sample.Check(learner, Sample.Mentor(modes: [SessionMode.InPerson], home: paris, radius: 50)));
        Assert.Equal(Exclusion.None, Sample.Check(learner, Sample.Mentor(modes: [SessionMode.InPerson], home: new Place(46.2, 1.9), radius: 20)));
    }
}

public sealed class FeatureTests
{
    private static float[] Features(MatchRequest request, MentorProfile mentor)
    {
        var f = new float[PairFeatures.Count];
        PairFeatures.Compute(request, new PreparedLearner(request.Learner, Sample.Week), new PreparedMentor(mentor, Sample.Week), f);
        return f;
    }

    [Fact]
    public void Features_measure_the_pair()
    {
        var f = Features(Sample.Request(null, Expertise.CvReview, Expertise.Entrepreneurship), Sample.Mentor(capacity: 4, active: 1));
        Assert.Equal(0.5f, f[PairFeatures.GoalOverlap]);
        Assert.Equal(3 / 7f, f[PairFeatures.LanguageLevel]); // French B1 meets a native speaker
        Assert.Equal(0.4f, f[PairFeatures.AvailabilityOverlap], 3); // 4 h of 10
        Assert.Equal(1, f[PairFeatures.ModeFit]);
        Assert.Equal(0.25f, f[PairFeatures.MentorLoad]);
        Assert.Equal(1, f[PairFeatures.OccupationMatch]); // same ROME code
        Assert.Equal(1, f[PairFeatures.SectorMatch]);
        Assert.Equal(0.5f, f[PairFeatures.AcceptanceRecord]); // unknown record is neutral
        Assert.True(f[PairFeatures.TextSimilarity] > 0.1f);
        Assert.All(f, v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void Text_similarity_folds_accents_and_ignores_stop_words()
    {
        Assert.True(TextVector.From("Préparer un entretien d'embauche").Cosine(TextVector.From("preparer entretien embauche")) > 0.9);
        Assert.Equal(0, TextVector.From("the and of").Cosine(TextVector.From("the and of")));
    }
}

public sealed class ScoringTests
{
    [Fact]
    public void Rule_scorer_gives_points_per_overlap_and_explains_them()
    {
        var scorer = new RuleScorer();
        var request = Sample.Request();
        var pool = new[] { new PreparedMentor(Sample.Mentor("good"), Sample.Week),
            new PreparedMentor(Sample.Mentor("other-goals", expertise: [Expertise.Entrepreneurship], rome: null), Sample.Week) };
        var result = Matcher.Match(request, pool, scorer, 5, Sample.Week);
        Assert.Equal(["good", "other-goals"], result.Proposals.Select(p => p.MentorId));
        Assert.True(result.Proposals[0].Score > result.Proposals[1].Score);
        Assert.Contains("can help with what the learner asked for", Matching.Mentoring.ExplanationWords.Text(result.Proposals[0].Reasons));
        Assert.Equal("goalOverlap", result.Proposals[0].Factors[0].Feature);
    }

    [Fact]
    public void No_candidates_come_with_the_reasons()
    {
        var pool = new[] { new PreparedMentor(Sample.Mentor("a", paused: true), Sample.Week), new PreparedMentor(Sample.Mentor("b", french: Cefr.A1), Sample.Week),
            new PreparedMentor(Sample.Mentor("c", french: Cefr.A2), Sample.Week) };
        var result = Matcher.Match(Sample.Request(), pool, new RuleScorer(), 5, Sample.Week);
        Assert.Empty(result.Proposals);
        Assert.Equal([Exclusion.NoSharedLanguage, Exclusion.Paused], result.Reasons);
        Assert.Equal("no active mentor shares a language with the learner at a usable level", Matching.Mentoring.ExplanationWords.Describe(result.Reasons[0]));
    }

    [Fact]
    public void Top_k_is_respected_and_stable()
    {
        var pool = Enumerable.Range(0, 20).Select(i => new PreparedMentor(Sample.Mentor($"m{i:D2}"), Sample.Week)).ToArray();
        var a = Matcher.Match(Sample.Request(), pool, new RuleScorer(), 5, Sample.Week);
        var b = Matcher.Match(Sample.Request(), pool.Reverse().ToArray(), new RuleScorer(), 5, Sample.Week);
        Assert.Equal(5, a.Proposals.Count);
        Assert.Equal(a.Proposals.Select(p => p.MentorId), b.Proposals.Select(p => p.MentorId));
    }
}
