using Example = (string RequestId, Matching.Engine.MatchRequest Request, System.Collections.Generic.List<(string MentorId, Matching.Engine.PairRow Row)> Pairs);

using Matching.Engine;

namespace Matching.Training;

/// <summary>
/// The one way a model is trained, shared by <c>train</c>, <c>retrain</c> and the weekly timer (issue 29: retrain once
/// trained with fixed settings on 80% of the rows and never refitted, so the model that replaced the one in service was
/// weaker than what <c>train</c> made of the same file):
/// <list type="number">
/// <item>the newest <see cref="HeldOutShare"/> of requests is held out, by time, to judge on the future the fit did not see;</item>
/// <item>the tree settings are chosen by validation inside the rest (<see cref="SettingsSearch"/>), on the kind of model that ships;</item>
/// <item>those settings are fitted on the rest: the model that is judged;</item>
/// <item>and fitted again on every row: the model that is written and may serve.</item>
/// </list>
/// The same file therefore gives the same model whichever command reads it.
/// </summary>
public static class TrainingPlan
{
    public const double HeldOutShare = 0.2;

    /// <summary>The requests in time order, cut into the part learnt from and the newest part held out.</summary>
    public sealed record Split(IReadOnlyList<Example> Train, IReadOnlyList<Example> HeldOut)
    {
        /// <summary>The training part's rows, gathered once.</summary>
        public IReadOnlyList<PairRow> TrainRows => field ??= Train.SelectMany(e => e.Pairs.Select(p => p.Row)).ToList();
    }

    /// <summary>What the plan made: the fit judged on the held-out part, and the one written on every row.</summary>
    /// <param name="Judged">Fitted on the training part only, to be judged on the held-out part.</param>
    /// <param name="Written">Fitted on every row (and the extra rows) with the same settings; saved as <c>{version}.zip</c> and <c>.flat</c>.</param>
    public sealed record Result(TreeModel Judged, TreeModel Written, SettingsSearch.Choice Settings, MlNetTrees.TrainingOptions Options,
        float[] Means, string Zip, string Sides, int FittedOnExamples);

    public static Split ByTime(TrainingData data, DateTime weekStartUtc)
    {
        var byTime = InTimeOrder(data, data.Examples(weekStartUtc));
        var cut = (int)Math.Round(byTime.Count * (1 - HeldOutShare));
        var split = new Split(byTime.Take(cut).ToList(), byTime.Skip(cut).ToList());
        if (split.Train.Count == 0 || split.HeldOut.Count == 0 || split.Train.All(e => e.Pairs.Count == 0))
            throw new InvalidOperationException("Not enough requests to train and to judge the model.");
        return split;
    }

    /// <summary>Chooses the settings, fits the judged model in memory, then fits every row and writes it to <paramref name="outputDirectory"/>.</summary>
    /// <param name="extraRows">Rows every fit learns from but nothing judges on (the synthetic prior of a retraining); none by default.</param>
    public static Result Fit(Split split, string outputDirectory, string version, MlNetTrees.TrainingOptions options, IReadOnlyList<PairRow>? extraRows = null)
    {
        extraRows ??= [];
        var requests = split.Train.Select(e => (IReadOnlyList<PairRow>)e.Pairs.Select(p => p.Row).ToList()).ToList();
        var settings = SettingsSearch.Choose(requests, options, extraRows);
        var chosen = settings.Apply(options);
        var (judged, _, _) = MlNetTrees.Fit([.. split.TrainRows, .. extraRows], version, chosen);
        List<PairRow> every = [.. split.TrainRows, .. split.HeldOut.SelectMany(e => e.Pairs.Select(p => p.Row)), .. extraRows];
        var (written, means, zip, sides) = MlNetTrees.TrainAndWrite(every, outputDirectory, version, chosen);
        return new Result(judged, written, settings, chosen, means, zip, sides, every.Count);
    }

    /// <summary>Requests by time: a request's moment is its earliest proposal; files without dates keep the order they were written in.</summary>
    public static List<Example> InTimeOrder(TrainingData data, IReadOnlyList<Example> examples)
    {
        var order = data.Outcomes.Select((o, i) => (o.RequestId, At: o.ProposedAt ?? DateTimeOffset.MinValue, i))
            .GroupBy(x => x.RequestId).ToDictionary(g => g.Key, g => (g.Min(x => x.At), g.Min(x => x.i)));
        return examples.OrderBy(e => order[e.RequestId].Item1).ThenBy(e => order[e.RequestId].Item2).ToList();
    }
}
