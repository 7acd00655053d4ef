using Matching.Engine;
using Matching.Training;

namespace Matching.Studies;

/// <summary>
/// Do the features generalise? On each synthetic world (<see cref="SyntheticData.Options.World"/>), models trained on the
/// first n requests of one draw are judged on 500 requests of another, by the true chances kept aside: NDCG@5 with
/// the true chance as the gain, as a share of the best ordering's (the oracle's). Compared with the rules (the floor) and
/// with the same model given only the 12 hand-made features (the raw facts set to zero), to see what the raw facts add.
/// </summary>
public static class GeneralisationStudy
{
    /// <param name="Settings">The tree settings chosen by validation inside the n requests (<see cref="SettingsSearch"/>).</param>
    /// <param name="Defaults">The model with the settings used before the search (80 trees of 16 leaves), for comparison.</param>
    public sealed record Row(int World, int Requests, int Outcomes, double Model, double HandMadeOnly, double Rules, string Settings, double Defaults);

    public static readonly int[] Sizes = [250, 500, 1000, 2000, 4000];

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
            var requests = train.Take(n).Select(e => (IReadOnlyList<PairRow>)e.Pairs.Select(p => p.Row).ToList()).ToList();
            var rows = requests.SelectMany(r => r).ToList();
            var defaults = new MlNetTrees.TrainingOptions();
            var choice = SettingsSearch.Choose(requests, defaults);
            var options = choice.Apply(defaults);
            var model = Trained(rows, $"w{world}n{n}", options);
            var handMade = Trained(rows.Select(r => new PairRow { Features = HandMade(r.Features), Label = r.Label, Weight = r.Weight }).ToList(), $"w{world}n{n}h", options);
            var before = Trained(rows, $"w{world}n{n}d", defaults);
            yield return new Row(world, n, rows.Count, Share(judged, model, Truth), Share(judged, new HandMadeOnly(handMade), Truth), rules,
                $"{choice.Trees} x {choice.Leaves} leaves, min {choice.MinimumExamplesPerLeaf}, rate {choice.LearningRate}", Share(judged, before, Truth));
        }
    }

    private static TreeModel Trained(IReadOnlyList<PairRow> rows, string version, MlNetTrees.TrainingOptions options)
    {
        var ml = new Microsoft.ML.MLContext(options.Seed);
        return MlNetTrees.ToTreeModel(version, MlNetTrees.Train(ml, rows, options), MlNetTrees.Means(rows));
    }

    /// <summary>Every setting of the grid trained on the first <paramref name="n"/> requests and judged by the true chances: how
    /// far the validation's choice (on observed outcomes only) is from the setting the truth would pick.</summary>
    public static IEnumerable<(SettingsSearch.Trial Setting, double Share)> Grid(int world, int n)
    {
        var week = SyntheticData.StudyWeek;
        var rows = SyntheticData.Generate(new SyntheticData.Options(Learners: n, Seed: 42, World: world), week).Examples(week).SelectMany(e => e.Pairs.Select(p => p.Row)).ToList();
        var judgedData = SyntheticData.Generate(new SyntheticData.Options(Learners: 500, Seed: 77, World: world), week);
        var judged = judgedData.Examples(week);
        foreach (var (trees, leaves, minimum, rate) in SettingsSearch.Grid)
        {
            var options = new MlNetTrees.TrainingOptions(trees, leaves, minimum, rate);
            yield return (new SettingsSearch.Trial(trees, leaves, minimum, rate, double.NaN),
                Share(judged, Trained(rows, "grid", options), (request, mentorId, f) => SyntheticData.Chance(world, request, judgedData.Mentors[mentorId], f, null)));
        }
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
