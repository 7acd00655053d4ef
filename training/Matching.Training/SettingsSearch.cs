using Matching.Engine;

namespace Matching.Training;

/// <summary>
/// Chooses the tree settings by validation, inside the training part (issue 19, item 8: at 1,000 requests, trees too
/// large for the data left quality on the table). The training requests, in time order, are cut again: a model per
/// setting of a small <see cref="Grid"/> learns from the earlier 80% and is judged on the later 20% by NDCG@5 on their
/// observed outcomes. The best wins; a setting within <see cref="Tie"/> of it that is cheaper to serve (fewer splits
/// in all) is preferred. Each setting is tried on the kind of model that ships (two-sided when the options ask and the
/// fit part allows, as <see cref="MlNetTrees.Fit"/> decides), so that the choice is the one that serves. Nothing held
/// out for the final judgement is seen here.
/// </summary>
public static class SettingsSearch
{
    /// <summary>One setting tried, and its NDCG@5 on the validation requests.</summary>
    public sealed record Trial(int Trees, int Leaves, int MinimumExamplesPerLeaf, double LearningRate, double Ndcg5);

    /// <summary>What was chosen, what was tried, and on how many requests (null trials: too few requests to validate, the defaults
    /// serve); <c>Sides</c>: the kind of model the settings were tried on, as <see cref="MlNetTrees.Fit"/> says it.</summary>
    public sealed record Choice(int Trees, int Leaves, int MinimumExamplesPerLeaf, double LearningRate, IReadOnlyList<Trial>? Trials,
        int FitRequests, int ValidationRequests, string Why, string? Sides = null)
    {
        /// <summary>The settings were not searched: the defaults serve, and <see cref="Why"/> says why (to be said in the report and the log).</summary>
        [System.Text.Json.Serialization.JsonIgnore] public bool FellBack => Trials is null;

        public override string ToString() => $"{Trees} trees of {Leaves} leaves, at least {MinimumExamplesPerLeaf} per leaf, rate {LearningRate}: {Why}";
    }

    /// <summary>Small on purpose (each point is a training run): from a few large trees to many small ones, all within the vector walk's 32 leaves.</summary>
    public static readonly (int Trees, int Leaves, int MinimumExamplesPerLeaf, double LearningRate)[] Grid =
    [
        (80, 16, 20, 0.2), // the settings before issue 19
        (40, 16, 50, 0.2),
        (100, 8, 20, 0.1),
        (60, 8, 50, 0.2),
        (200, 4, 20, 0.1),
        (150, 8, 20, 0.05),
    ];

    /// <summary>A setting this close to the best (NDCG@5) counts as as good: the cheaper one is kept. Differences this small
    /// are noise on a few hundred validation requests (on the shipped model's file, 380 of them, the five best points of
    /// the grid lay within 0.005 of one another), while serving pays for every split on every request.</summary>
    public const double Tie = 0.005;

    /// <summary>Below this many validation requests where something worked, the defaults serve: the comparison would be noise.</summary>
    public const int MinimumValidationRequests = 30;

    /// <summary>Chooses among <see cref="Grid"/> on <paramref name="requestsInTimeOrder"/> (each request's rows, oldest first).</summary>
    /// <param name="alwaysFit">Rows every fit learns from and nothing validates on (a synthetic prior).</param>
    public static Choice Choose(IReadOnlyList<IReadOnlyList<PairRow>> requestsInTimeOrder, MlNetTrees.TrainingOptions options, IReadOnlyList<PairRow>? alwaysFit = null)
    {
        var cut = (int)Math.Round(requestsInTimeOrder.Count * 0.8);
        var fit = requestsInTimeOrder.Take(cut).SelectMany(r => r).Concat(alwaysFit ?? []).ToList();
        var validation = requestsInTimeOrder.Skip(cut).Where(r => r.Any(p => p.Label)).ToList();
        Choice Defaults(string why) => new(options.Trees, options.Leaves, options.MinimumExamplesPerLeaf, options.LearningRate, null, cut, validation.Count, why);
        if (validation.Count < MinimumValidationRequests)
            return Defaults($"{validation.Count} validation requests where something worked, fewer than {MinimumValidationRequests}: the defaults");
        if (fit.All(r => r.Label) || fit.All(r => !r.Label))
            return Defaults("the earlier part's outcomes are all alike: the defaults");
        var trials = new List<Trial>();
        string? sides = null;
        foreach (var (trees, leaves, minimum, rate) in Grid)
        {
            var settings = options with { Trees = trees, Leaves = leaves, MinimumExamplesPerLeaf = minimum, LearningRate = rate };
            (var model, _, sides) = MlNetTrees.Fit(fit, "validation", settings);
            trials.Add(new Trial(trees, leaves, minimum, rate, Math.Round(MeanNdcg5(model, validation), 4)));
        }
        var best = trials.Max(t => t.Ndcg5);
        var chosen = trials.Where(t => t.Ndcg5 >= best - Tie).OrderBy(t => t.Trees * (t.Leaves - 1)).First();
        return new Choice(chosen.Trees, chosen.Leaves, chosen.MinimumExamplesPerLeaf, chosen.LearningRate, trials, cut, validation.Count,
            $"best NDCG@5 on the later {validation.Count} requests{(chosen.Ndcg5 < best ? $" (within {Tie} of the best, fewer splits)" : "")}", sides);
    }

    /// <summary>The options with the chosen settings.</summary>
    public static MlNetTrees.TrainingOptions Apply(this Choice choice, MlNetTrees.TrainingOptions options) =>
        options with { Trees = choice.Trees, Leaves = choice.Leaves, MinimumExamplesPerLeaf = choice.MinimumExamplesPerLeaf, LearningRate = choice.LearningRate };

    private static double MeanNdcg5(IPairScorer scorer, IReadOnlyList<IReadOnlyList<PairRow>> requests)
    {
        double sum = 0;
        foreach (var rows in requests)
        {
            var scores = new float[rows.Count];
            scorer.Score(rows.SelectMany(r => r.Features).ToArray(), scores);
            var pairs = rows.Select(r => ("", r)).ToList();
            sum += Evaluation.Ndcg5(pairs, i => scores[i])!.Value.Ndcg5;
        }
        return sum / requests.Count;
    }
}
