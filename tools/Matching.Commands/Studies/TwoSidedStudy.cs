using Matching.Engine;
using Matching.Training;

namespace Matching.Studies;

/// <summary>
/// Do the mentors' declines move the model? Measured on the synthetic world where mentors decide and say why
/// (<see cref="SyntheticData.Options.Declines"/>), whose true chances are known: on held-out requests, each scorer's
/// first choice is judged by what would happen if it were offered. Compared: the rules, one model learning "it worked"
/// from every proposal, the two-sided model, and the two-sided model trained without the "too far" and "language"
/// declines (as if mentors had never declined for those reasons): the gap between the last two is what those declines taught.
/// </summary>
public static class TwoSidedStudy
{
    /// <param name="OracleShare">NDCG@5 with the true chance of a working match as the gain, as a share of the best ordering's.</param>
    /// <param name="WorkedPer100">Matches that work, per 100 first choices offered.</param>
    /// <param name="FarOrLanguagePer100">First choices a mentor turns down for distance or language, per 100.</param>
    /// <param name="DeclinedPer100">First choices a mentor turns down for any reason, per 100.</param>
    public sealed record Row(string Scorer, string Sides, double OracleShare, double WorkedPer100, double FarOrLanguagePer100, double DeclinedPer100);

    public static IReadOnlyList<Row> Run(int mentors, int learners, int seed, string folder)
    {
        var week = SyntheticData.StudyWeek;
        var examples = SyntheticData.Generate(new SyntheticData.Options(mentors, learners, Seed: seed, Declines: true), week).Examples(week);
        var cut = examples.Count * 4 / 5;
        var rows = examples.Take(cut).SelectMany(e => e.Pairs.Select(p => p.Row)).ToList();
        var heldOut = examples.Skip(cut).ToList();
        var blindRows = rows.Where(r => r.DeclineReason is not ("tooFar" or "language")).ToList();
        (IPairScorer, string) Trained(string name, IReadOnlyList<PairRow> train, bool twoSided)
        {
            var (model, _, _, sides) = MlNetTrees.TrainAndWrite(train, folder, name, new MlNetTrees.TrainingOptions(TwoSided: twoSided));
            return (model, sides);
        }
        var scorers = new List<(string Name, IPairScorer Scorer, string Sides)> { ("rules", new RuleScorer(), "-") };
        foreach (var (name, train, twoSided) in new[] { ("one model, 'it worked'", rows, false), ("two-sided", rows, true), ("two-sided, without far/language declines", blindRows, true) })
        {
            var (scorer, sides) = Trained(new string(name.Where(char.IsLetterOrDigit).ToArray()), train, twoSided);
            scorers.Add((name, scorer, sides));
        }
        var judged = scorers.Select(s => Judge(s.Name, s.Sides, heldOut, (_, pairs, _) =>
        {
            var scores = new float[pairs.Count];
            s.Scorer.Score(pairs.SelectMany(p => p.Row.Features).ToArray(), scores);
            return scores;
        })).ToList();
        // The bounds, from the true chances no scorer sees: the best ordering, and the fewest distance or language declines.
        judged.Add(Judge("oracle (true chance of working)", "-", heldOut, (_, _, truth) => truth.Select(t => (float)t.Worked).ToArray()));
        judged.Add(Judge("fewest distance or language declines", "-", heldOut, (_, _, truth) => truth.Select(t => (float)(t.Worked - t.FarOrLanguage)).ToArray()));
        return judged;
    }

    private static Row Judge(string name, string sides, IReadOnlyList<(string RequestId, MatchRequest Request, List<(string MentorId, PairRow Row)> Pairs)> heldOut,
        Func<MatchRequest, List<(string MentorId, PairRow Row)>, (double Worked, double Declined, double FarOrLanguage)[], float[]> rank)
    {
        double share = 0, worked = 0, farOrLanguage = 0, declined = 0;
        foreach (var (_, request, pairs) in heldOut)
        {
            var truth = pairs.Select(p =>
            {
                var h = SyntheticData.DeclineChances(request, p.Row.Features);
                var accept = SyntheticData.AcceptChance(h);
                return (Worked: accept * SyntheticData.Truth(request, p.Row.Features, null), Declined: 1 - accept, FarOrLanguage: 1 - (1 - h.TooFar) * (1 - h.Language));
            }).ToArray();
            var scores = rank(request, pairs, truth);
            var order = Enumerable.Range(0, pairs.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
            share += Evaluation.OracleShare(order.Select(i => truth[i].Worked), truth.Select(t => t.Worked));
            var first = truth[order[0]];
            (worked, farOrLanguage, declined) = (worked + first.Worked, farOrLanguage + first.FarOrLanguage, declined + first.Declined);
        }
        var n = Math.Max(1, heldOut.Count);
        return new Row(name, sides, Math.Round(share / n, 3), Math.Round(100 * worked / n, 1), Math.Round(100 * farOrLanguage / n, 1), Math.Round(100 * declined / n, 1));
    }
}
