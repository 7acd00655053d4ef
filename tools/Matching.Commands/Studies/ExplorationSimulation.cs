using Matching.Engine;
using Matching.Training;

namespace Matching.Studies;

/// <summary>
/// Rounds of request, proposals, outcome and retraining on a SYNTHETIC world, to see what exploration does to a model
/// that learns from its own proposals (the <c>simulate</c> command; docs/matching-model.md). Each mentor has an
/// engagement nobody sees (<see cref="SyntheticData.Truth"/>'s quality): only outcomes reveal it, through the mentor's
/// track record, which is updated at the end of every round from the proposals they received. New mentors join every
/// round with no record. Round 0 is proposed by the rules; after each round a model is trained on every outcome so far
/// and proposes the next round. Arms run on the same world (same mentors, learners and luck) and differ only in how
/// proposals are chosen and weighed.
/// </summary>
public static class ExplorationSimulation
{
    public sealed record Options(int Rounds = 6, int RequestsPerRound = 500, int Mentors = 400, int NewMentorsPerRound = 60, double Share = Exploration.DefaultShare,
        int Seed = 42, int Judged = 300, int Proposals = 5);

    /// <param name="NewShown">Share of this round's proposals that went to mentors who joined after round 0.</param>
    /// <param name="NewKnown">Mentors who joined after round 0 and have had at least one proposal, out of <paramref name="NewMentors"/>.</param>
    /// <param name="OracleShare">After retraining, on fixed judged requests against the whole pool: NDCG@5 with the true chance as the gain, as a share of the best ordering's.</param>
    /// <param name="NewOracleShare">The same among the new mentors only: how well they are told apart.</param>
    public sealed record RoundRow(string Arm, int Round, int Outcomes, double NewShown, int NewKnown, int NewMentors, double OracleShare, double NewOracleShare);

    private static readonly DateTime Week = SyntheticData.StudyWeek;

    private sealed class SimMentor(MentorProfile profile, double quality, int joined)
    {
        public MentorProfile Profile = profile;
        public readonly double Quality = quality;
        public readonly int Joined = joined;
        public int Proposals, Accepted, Rated;
        public double RatingSum;
    }

    public static IEnumerable<RoundRow> Run(Options o, Action<string>? progress = null)
    {
        var arms = new (string Name, double Share, bool Weighted)[]
        {
            ("no exploration", 0, false),
            ($"exploration {o.Share:0%}, not weighted", o.Share, false),
            ($"exploration {o.Share:0%}, weighted by 1/propensity", o.Share, true),
        };
        foreach (var arm in arms)
            foreach (var row in RunArm(o, arm.Name, arm.Share, arm.Weighted, progress))
                yield return row;
    }

    private static IEnumerable<RoundRow> RunArm(Options o, string arm, double share, bool weighted, Action<string>? progress)
    {
        // Separate streams, so that every arm meets the same mentors, learners and luck.
        var world = new Random(o.Seed);
        var luck = new Random(o.Seed + 1);
        var policy = new Random(o.Seed + 2);
        var mentors = new List<SimMentor>();
        void Join(int count, int round)
        {
            for (var i = 0; i < count; i++)
            {
                var profile = SyntheticData.Mentor(world, $"m{mentors.Count:D5}") with { Record = null };
                mentors.Add(new SimMentor(profile, SyntheticData.Normal(world) * 0.9, round));
            }
        }
        Join(o.Mentors, 0);
        var judged = Enumerable.Range(0, o.Judged).Select(i => Request(world, $"j{i:D5}")).ToList();
        IPairScorer scorer = new RuleScorer();
        var rows = new List<PairRow>();
        var features = new float[PairFeatures.Count];
        for (var round = 0; round < o.Rounds; round++)
        {
            if (round > 0) Join(o.NewMentorsPerRound, round);
            var pool = mentors.Select(m => new PreparedMentor(m.Profile, Week)).ToList(); // this round's snapshot
            var byId = mentors.ToDictionary(m => m.Profile.Id);
            var prepared = pool.ToDictionary(m => m.Profile.Id);
            var (shownCount, shownNew) = (0, 0);
            for (var r = 0; r < o.RequestsPerRound; r++)
            {
                var request = Request(world, $"l{round:D2}{r:D5}");
                var learner = new PreparedLearner(request.Learner, Week);
                var ranked = Matcher.Match(request, pool, scorer, Exploration.Ranked(o.Proposals, share), Week).Proposals;
                var (shown, propensities) = Exploration.Choose(ranked, o.Proposals, share, policy);
                foreach (var (proposal, propensity) in shown.Zip(propensities))
                {
                    var mentor = byId[proposal.MentorId];
                    PairFeatures.Compute(request, learner, prepared[mentor.Profile.Id], features);
                    var p = SyntheticData.Truth(request, features, luck, mentor.Quality);
                    var accepted = luck.NextDouble() < p;
                    var held = accepted && luck.NextDouble() < 0.9;
                    int? rating = held ? Math.Clamp((int)Math.Round(2 + 3 * p + SyntheticData.Normal(luck) * 0.7), 1, 5) : null;
                    var outcome = new Outcome(request.Learner.Id, request.Learner.Id, mentor.Profile.Id, request.Goals, request.GoalText, accepted, held, rating);
                    rows.Add(new PairRow { Features = [.. features], Label = outcome.Worked, Weight = weighted ? Exploration.Weight(propensity) : 1 });
                    (mentor.Proposals, mentor.Accepted) = (mentor.Proposals + 1, mentor.Accepted + (accepted ? 1 : 0));
                    if (rating is { } given) (mentor.Rated, mentor.RatingSum) = (mentor.Rated + 1, mentor.RatingSum + given);
                    shownCount++;
                    if (mentor.Joined > 0) shownNew++;
                }
            }
            // The records as the service would show them from now on.
            foreach (var m in mentors.Where(m => m.Proposals > 0))
                m.Profile = m.Profile with { Record = new TrackRecord(m.Proposals, m.Accepted, m.Accepted, m.Rated == 0 ? null : m.RatingSum / m.Rated, m.Rated) };
            progress?.Invoke($"{arm}: round {round}, training on {rows.Count:N0} outcomes");
            var ml = new Microsoft.ML.MLContext(7);
            scorer = MlNetTrees.ToTreeModel($"round{round}", MlNetTrees.Train(ml, rows, new MlNetTrees.TrainingOptions()), MlNetTrees.Means(rows));
            var newMentors = mentors.Where(m => m.Joined > 0).ToList();
            var (all, fresh) = Judge(judged, mentors, scorer);
            yield return new RoundRow(arm, round, rows.Count, shownCount == 0 ? 0 : Math.Round((double)shownNew / shownCount, 3),
                newMentors.Count(m => m.Proposals > 0), newMentors.Count, all, fresh);
        }
    }

    /// <summary>NDCG@5 against the true chances, as a share of the best ordering's: over the whole pool, and among new mentors only.</summary>
    private static (double All, double New) Judge(List<MatchRequest> judged, List<SimMentor> mentors, IPairScorer scorer)
    {
        var pool = mentors.Select(m => new PreparedMentor(m.Profile, Week)).ToList();
        var established = mentors.Where(m => m.Joined == 0).Select(m => m.Profile.Id).ToHashSet(StringComparer.Ordinal);
        var quality = mentors.ToDictionary(m => m.Profile.Id, m => m.Quality);
        var features = new float[PairFeatures.Count];
        double Share(MatchRequest request, ISet<string>? exclude)
        {
            var learner = new PreparedLearner(request.Learner, Week);
            double Truth(PreparedMentor m)
            {
                PairFeatures.Compute(request, learner, m, features);
                return SyntheticData.Truth(request, features, null, quality[m.Profile.Id]);
            }
            var eligible = pool.Where(m => (exclude is null || !exclude.Contains(m.Profile.Id)) && Filters.Check(learner, m) == Exclusion.None).ToList();
            if (eligible.Count == 0) return double.NaN;
            var byId = eligible.ToDictionary(m => m.Profile.Id);
            var chosen = Matcher.Match(request, pool, scorer, 5, Week, exclude).Proposals.Select(p => Truth(byId[p.MentorId])).ToList();
            return Evaluation.OracleShare(chosen, eligible.Select(Truth).ToList());
        }
        var all = judged.Select(r => Share(r, null)).Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).Average();
        var fresh = judged.Select(r => Share(r, established)).Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).Average();
        return (Math.Round(all, 3), Math.Round(fresh, 3));
    }

    private static MatchRequest Request(Random r, string id)
    {
        var learner = SyntheticData.Learner(r, id);
        var (goals, text) = SyntheticData.Goals(r, learner);
        return new MatchRequest(learner, goals, text);
    }
}
