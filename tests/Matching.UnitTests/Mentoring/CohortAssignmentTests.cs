using Matching.Engine;
using Matching.Training;

namespace Matching.UnitTests.Mentoring;

/// <summary>The cohort assignment is optimal (checked against every possible assignment on small cohorts) and respects capacity.</summary>
public sealed class CohortAssignmentTests
{
    [Fact]
    public void The_assignment_has_the_highest_total_score_any_assignment_within_capacity_has()
    {
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var scorer = new RuleScorer();
        var beatsGreedy = 0;
        for (var trial = 0; trial < 40; trial++)
        {
            var random = new Random(trial);
            var mentors = Enumerable.Range(0, 4).Select(i => new PreparedMentor(
                SyntheticData.Mentor(random, $"m{trial}-{i}") with { ActiveMentees = 0, PendingProposals = 0, Capacity = 1 + random.Next(2), Paused = false }, week)).ToArray();
            var cohort = Enumerable.Range(0, 5).Select(i =>
            {
                var learner = SyntheticData.Learner(random, $"l{trial}-{i}") with { Languages = [new LanguageSkill("fr", Cefr.B2)] };
                var (goals, text) = SyntheticData.Goals(random, learner);
                return new MatchRequest(learner, goals, text);
            }).ToList();

            var result = CohortAssignment.Assign(cohort, mentors, scorer, week);
            var assigned = result.Where(r => r.MentorId is not null).ToList();
            foreach (var group in assigned.GroupBy(r => r.MentorId))
                Assert.True(group.Count() <= mentors.Single(m => m.Profile.Id == group.Key).Profile.Capacity, "over capacity");

            // Every assignment: each learner none or one of the mentors they pass the filters for, within capacity.
            var options = cohort.Select(r => mentors.Select((m, i) => (i, Score: Score(scorer, r, m, week))).Where(x => x.Score is not null)
                .Select(x => (x.i, Score: x.Score!.Value)).ToList()).ToList();
            var best = Best(options, mentors.Select(m => m.Profile.Capacity).ToArray(), 0);
            Assert.InRange(assigned.Sum(a => (double)a.Score), best - 0.01, best + 0.01);
            if (assigned.Sum(a => a.Score) > CohortAssignment.Greedy(cohort, mentors, scorer, week).Sum(g => g.Score) + 0.01) beatsGreedy++;
        }
        Assert.True(beatsGreedy > 0, "some cohort where greedy in order of arrival is not optimal");
    }

    private static float? Score(IPairScorer scorer, MatchRequest request, PreparedMentor mentor, DateTime week)
    {
        var learner = new PreparedLearner(request.Learner, week);
        if (Filters.Check(learner, mentor) != Exclusion.None) return null;
        var features = new float[PairFeatures.Count];
        PairFeatures.Compute(request, learner, mentor, features);
        var score = new float[1];
        scorer.Score(features, score);
        return score[0];
    }

    private static double Best(List<List<(int Mentor, float Score)>> options, int[] free, int learner)
    {
        if (learner == options.Count) return 0;
        var best = Best(options, free, learner + 1); // this learner not placed
        foreach (var (mentor, score) in options[learner])
        {
            if (free[mentor] == 0) continue;
            free[mentor]--;
            best = Math.Max(best, score + Best(options, free, learner + 1));
            free[mentor]++;
        }
        return best;
    }
}
