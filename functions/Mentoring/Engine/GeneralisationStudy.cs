namespace Matching.Mentoring.Engine;

/// <summary>
/// Do the features generalise? On each synthetic world (<see cref="SyntheticData.Options.World"/>), models trained on the
/// first n requests of one draw are judged on 500 requests of another, by the true chances kept aside: NDCG@5 with
/// the true chance as the gain, as a share of the best ordering's (the oracle's). Compared with the rules (the floor) and
/// with the same model given only the 12 hand-made features (the raw facts set to zero), to see what the raw facts add.
/// </summary>
public static class GeneralisationStudy
{
    public sealed record Row(int World, int Requests, int Outcomes, double Model, double HandMadeOnly, double Rules);

    public static readonly int[] Sizes = [250, 1000, 4000];

    public static IEnumerable<Row> Run(int world, IReadOnlyList<int> sizes, Action<string>? progress = null)
    {
        var week = SyntheticData.StudyWeek;
        var train = SyntheticData.Generate(new SyntheticData.Options(Learners: sizes.Max(), Seed: 42, World: world), week).Examples(week);
        var judgedData = SyntheticData.Generate(new SyntheticData.Options(Learners: 500, Seed: 77, World: world), week);
        var judged = judgedData.Examples(week);
        double Truth(MatchRequest request, string mentorId, float[] f) => SyntheticData.Chance(world, request, judgedData.Mentors[mentorId], f, null);
        var rules = Share(judged, new RuleScorer(), Truth);
        foreach (var n in sizes)
        {
            progress?.Invoke($"world {world}: training on {n:N0} requests");
            var rows = train.Take(n).SelectMany(e => e.Pairs.Select(p => p.Row)).ToList();
            var model = Trained(rows, $"w{world}n{n}");
            var handMade = Trained(rows.Select(r => new PairRow { Features = HandMade(r.Features), Label = r.Label, Weight = r.Weight }).ToList(), $"w{world}n{n}h");
            yield return new Row(world, n, rows.Count, Share(judged, model, Truth), Share(judged, new HandMadeOnly(handMade), Truth), rules);
        }
    }

    private static TreeModel Trained(IReadOnlyList<PairRow> rows, string version)
    {
        var ml = new Microsoft.ML.MLContext(7);
        return MlNetTrees.ToTreeModel(version, MlNetTrees.Train(ml, rows, new MlNetTrees.TrainingOptions()), MlNetTrees.Means(rows));
    }

    /// <summary>The first 12 features as they are, the raw facts zeroed: what a model of the hand-made features alone sees.</summary>
    private static float[] HandMade(float[] features)
    {
        var copy = new float[PairFeatures.Count];
        features.AsSpan(0, HandMadeCount).CopyTo(copy);
        return copy;
    }

    private const int HandMadeCount = 12;

    private sealed class HandMadeOnly(TreeModel model) : IPairScorer
    {
        public string Name => model.Name;

        public void Score(ReadOnlySpan<float> features, Span<float> scores)
        {
            var masked = features.ToArray();
            for (var row = 0; row < scores.Length; row++) masked.AsSpan(row * PairFeatures.Count + HandMadeCount, PairFeatures.Count - HandMadeCount).Clear();
            model.Score(masked, scores);
        }

        public float[] Contributions(ReadOnlySpan<float> features) => model.Contributions(features);
    }

    /// <summary>Mean over requests of NDCG@5 by the true chances, as a share of the oracle's.</summary>
    private static double Share(IReadOnlyList<(string RequestId, MatchRequest Request, List<(string MentorId, PairRow Row)> Pairs)> judged, IPairScorer scorer,
        Func<MatchRequest, string, float[], double> truth)
    {
        double sum = 0;
        foreach (var (_, request, pairs) in judged)
        {
            var scores = new float[pairs.Count];
            scorer.Score(pairs.SelectMany(p => p.Row.Features).ToArray(), scores);
            var gains = pairs.Select(p => truth(request, p.MentorId, p.Row.Features)).ToArray();
            var chosen = Enumerable.Range(0, pairs.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).Select(i => gains[i]);
            sum += Evaluation.OracleShare(chosen, gains);
        }
        return Math.Round(sum / Math.Max(1, judged.Count), 3);
    }
}
