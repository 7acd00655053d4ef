using System.Text.Json;
using Microsoft.ML;

using Matching.Engine;

namespace Matching.Training;

public sealed record ScorerMetrics(string Scorer, double Ndcg5, double PrecisionAt1, double Auc, double Coverage, double TopMentorShare, double LoadGini);

/// <summary>The evaluation report written beside each model zip; it also carries what serving needs (feature means).</summary>
public sealed record ModelReport(
    string Version, DateTimeOffset TrainedAt, string Data, int TrainExamples, int TestExamples, int TestRequests,
    ScorerMetrics Model, ScorerMetrics Baseline, string[] FeatureNames, float[] FeatureMeans, IReadOnlyList<string> DataProblems)
{
    /// <summary>For a retrained candidate: the promotion gate's decision and what it was judged on.</summary>
    public GateDecision? Gate { get; init; }

    /// <summary>"two-sided" (the mentor's acceptance learnt apart, ranked by the product) or "one-sided: why not" (null in reports written before).</summary>
    public string? Sides { get; init; }

    /// <summary>The tree settings chosen by validation inside the training part, and what was tried (<c>train</c>; null before issue 19).</summary>
    public SettingsSearch.Choice? Settings { get; init; }

    /// <summary>The rows the written model was fitted on: every row, once the settings were chosen and the metrics taken on the
    /// fit to the training part (<c>train</c>); null when the written model is the one judged (<c>retrain</c>).</summary>
    public int? FittedOnExamples { get; init; }
}

/// <summary>Held-out evaluation of any scorer, and the train command's whole pipeline.</summary>
public static class Evaluation
{
    public static ScorerMetrics Measure(IPairScorer scorer, IReadOnlyList<(string RequestId, MatchRequest Request, List<(string MentorId, PairRow Row)> Pairs)> test,
        IReadOnlyList<PreparedMentor> pool, DateTime weekStartUtc)
    {
        double ndcg = 0, p1 = 0;
        var scored = new List<(float Score, bool Label)>();
        var requests = 0;
        foreach (var (_, _, pairs) in test)
        {
            var features = pairs.SelectMany(p => p.Row.Features).ToArray();
            var scores = new float[pairs.Count];
            scorer.Score(features, scores);
            for (var i = 0; i < pairs.Count; i++) scored.Add((scores[i], pairs[i].Row.Label));
            if (Ndcg5(pairs, i => scores[i]) is not { } judged) continue; // NDCG and precision are defined where something worked
            requests++;
            ndcg += judged.Ndcg5;
            p1 += judged.FirstWorked ? 1 : 0;
        }

        // Coverage and load spread: each test request matched against the whole pool, as in production.
        var picks = new Dictionary<string, int>(StringComparer.Ordinal);
        var covered = 0;
        foreach (var (_, request, _) in test)
        {
            var result = Matcher.Match(request, pool, scorer, 1, weekStartUtc);
            if (result.Proposals.Count == 0) continue;
            covered++;
            picks[result.Proposals[0].MentorId] = picks.GetValueOrDefault(result.Proposals[0].MentorId) + 1;
        }
        var counts = pool.Select(m => (double)picks.GetValueOrDefault(m.Profile.Id)).Order().ToArray();
        return new ScorerMetrics(scorer.Name, Round(ndcg / Math.Max(1, requests)), Round(p1 / Math.Max(1, requests)), Round(Auc(scored)),
            Round((double)covered / Math.Max(1, test.Count)), Round(picks.Count == 0 ? 0 : (double)picks.Values.Max() / covered), Round(Gini(counts)));
    }

    /// <summary>
    /// Load spread against ranking quality, for each weight: the requests in order, each matched against the whole
    /// pool with the spread re-ranking (its proposals counted for the next ones), and its shown, labelled pairs ranked
    /// the same way. Returns NDCG@5 on the labelled pairs and the Gini of top-5 proposals over the pool's mentors, and
    /// over the mentors who passed the filters for at least one of the requests (the others, full or sharing no language
    /// or hour with anyone, can be given nothing whatever the ranking), counted as proposals or as proposals per place.
    /// </summary>
    /// <param name="truth">The world's true chance of a pair (a synthetic world knows it): each row then also gives the
    /// mean DCG@5 of the proposals actually made, with true chances as gains, so that what the spread costs is read on
    /// the whole pool and not only on the pairs that happen to be labelled.</param>
    public static IReadOnlyList<SpreadRow> Spread(IPairScorer scorer,
        IReadOnlyList<(string RequestId, MatchRequest Request, List<(string MentorId, PairRow Row)> Pairs)> requests,
        IReadOnlyList<PreparedMentor> pool, DateTime weekStartUtc, IEnumerable<double> weights, Func<MatchRequest, float[], double>? truth = null)
    {
        var prepared = pool.ToDictionary(m => m.Profile.Id, StringComparer.Ordinal);
        var eligible = requests.Select(r => new PreparedLearner(r.Request.Learner, weekStartUtc))
            .SelectMany(l => pool.Where(m => Filters.Check(l, m) == Exclusion.None).Select(m => m.Profile.Id)).ToHashSet(StringComparer.Ordinal);
        var rows = new List<SpreadRow>();
        var features = new float[PairFeatures.Count];
        foreach (var weight in weights)
        {
            double trueDcg = 0;
            var spread = new LoadSpread(weight, new FixedTime(new DateTimeOffset(weekStartUtc, TimeSpan.Zero)));
            var proposals = new Dictionary<string, int>(StringComparer.Ordinal);
            double ndcg = 0;
            var judged = 0;
            foreach (var (_, request, pairs) in requests)
            {
                var scores = new float[pairs.Count];
                scorer.Score(pairs.SelectMany(p => p.Row.Features).ToArray(), scores);
                if (Ndcg5(pairs, i => prepared.TryGetValue(pairs[i].MentorId, out var m) ? spread.Adjust(scores[i], m.Profile) : scores[i]) is { } one)
                {
                    ndcg += one.Ndcg5;
                    judged++;
                }
                var result = Matcher.Match(request, pool, scorer, 5, weekStartUtc, spread: spread);
                spread.Proposed(result.Proposals.Select(p => p.MentorId));
                if (truth is not null)
                {
                    var learner = new PreparedLearner(request.Learner, weekStartUtc);
                    trueDcg += Dcg5(result.Proposals.Select(p =>
                    {
                        PairFeatures.Compute(request, learner, prepared[p.MentorId], features);
                        return truth(request, features);
                    }));
                }
                foreach (var p in result.Proposals) proposals[p.MentorId] = proposals.GetValueOrDefault(p.MentorId) + 1;
            }
            var counts = pool.Select(m => (double)proposals.GetValueOrDefault(m.Profile.Id)).Order().ToArray();
            var eligibleCounts = pool.Where(m => eligible.Contains(m.Profile.Id)).Select(m => (double)proposals.GetValueOrDefault(m.Profile.Id)).Order().ToArray();
            var perPlace = pool.Where(m => eligible.Contains(m.Profile.Id)).Select(m => (double)proposals.GetValueOrDefault(m.Profile.Id) / Math.Max(1, m.Profile.Capacity)).Order().ToArray();
            var total = counts.Sum();
            rows.Add(new SpreadRow(weight, Round(ndcg / Math.Max(1, judged)), Round(Gini(counts)), Round(Gini(eligibleCounts)), Round(Gini(perPlace)),
                Round(total == 0 ? 0 : counts[^1] / total), truth is null ? null : Round(trueDcg / Math.Max(1, requests.Count))));
        }
        return rows;
    }

    /// <param name="TrueDcg5">Mean DCG@5 of the proposals made, true chances as gains (null without the world's truth).</param>
    public sealed record SpreadRow(double Weight, double Ndcg5, double ProposalGini, double EligibleGini, double PerPlaceGini, double TopMentorShare, double? TrueDcg5);

    /// <summary>A clock that stands still: a simulation's proposals do not decay.</summary>
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static double Round(double v) => Math.Round(v, 4);

    /// <summary>DCG@5 of gains in ranked order.</summary>
    private static double Dcg5(IEnumerable<double> gains) => gains.Take(5).Select((g, i) => g / Math.Log2(i + 2)).Sum();

    /// <summary>
    /// For the studies that know the true chances: NDCG@5 of the <paramref name="chosen"/> gains (in the order shown) as a
    /// share of the best ordering's of <paramref name="all"/> the candidates' gains.
    /// </summary>
    public static double OracleShare(IEnumerable<double> chosen, IEnumerable<double> all) => Dcg5(chosen) / Dcg5(all.OrderByDescending(g => g));

    /// <summary>
    /// One request's NDCG@5 with its pairs ranked by <paramref name="ranking"/> (higher first), and whether its first
    /// pair worked; null where nothing worked (the request says nothing about ranking).
    /// </summary>
    public static (double Ndcg5, bool FirstWorked)? Ndcg5<T>(List<(string MentorId, PairRow Row)> pairs, Func<int, T> ranking)
    {
        var positives = pairs.Count(p => p.Row.Label);
        if (positives == 0) return null;
        var ranked = Enumerable.Range(0, pairs.Count).OrderByDescending(ranking).ToArray();
        double dcg = 0, ideal = 0;
        for (var rank = 0; rank < Math.Min(5, ranked.Length); rank++)
        {
            if (pairs[ranked[rank]].Row.Label) dcg += 1 / Math.Log2(rank + 2);
            if (rank < positives) ideal += 1 / Math.Log2(rank + 2);
        }
        return (dcg / ideal, pairs[ranked[0]].Row.Label);
    }

    /// <summary>Area under the ROC curve by the rank-sum statistic (ties count half).</summary>
    public static double Auc(IReadOnlyList<(float Score, bool Label)> scored)
    {
        var ordered = scored.OrderBy(s => s.Score).ToArray();
        double rankSum = 0;
        long positives = 0;
        for (var i = 0; i < ordered.Length;)
        {
            var j = i;
            while (j < ordered.Length && ordered[j].Score == ordered[i].Score) j++;
            var averageRank = (i + j + 1) / 2.0;
            for (var t = i; t < j; t++) if (ordered[t].Label) { rankSum += averageRank; positives++; }
            i = j;
        }
        var negatives = ordered.Length - positives;
        return positives == 0 || negatives == 0 ? 0.5 : (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }

    public static double Gini(double[] sortedCounts)
    {
        var n = sortedCounts.Length;
        var total = sortedCounts.Sum();
        if (n == 0 || total == 0) return 0;
        double weighted = 0;
        for (var i = 0; i < n; i++) weighted += (i + 1) * sortedCounts[i];
        return 2 * weighted / (n * total) - (n + 1.0) / n;
    }

    /// <summary>
    /// The train command: the <see cref="TrainingPlan"/> (the newest 20% of requests held out, settings chosen by
    /// validation on the rest, fitted on the rest), both scorers evaluated on the held-out part, and the model refitted
    /// on every row written with the report: the metrics are the fit's to the older part, the model the one that saw
    /// everything (issue 19: the shipped model had seen only 80% of its file).
    /// </summary>
    /// <param name="source">What the data is, for the report (a file name and what it holds; "synthetic" only when it is).</param>
    public static ModelReport TrainAndEvaluate(TrainingData data, string outputDirectory, string version, DateTimeOffset now, MlNetTrees.TrainingOptions options, string source)
    {
        var week = WeeklyTime.WeekStart(now);
        var split = TrainingPlan.ByTime(data, week);
        var plan = TrainingPlan.Fit(split, outputDirectory, version, options);
        var pool = data.Mentors.Values.Select(m => new PreparedMentor(m, week)).ToList();
        var report = new ModelReport(version, now, source, split.TrainRows.Count, split.HeldOut.Sum(t => t.Pairs.Count), split.HeldOut.Count,
            Measure(plan.Judged, split.HeldOut, pool, week), Measure(new RuleScorer(), split.HeldOut, pool, week), PairFeatures.Names, plan.Means,
            data.Problems.Take(100).ToList())
            { Sides = plan.Sides, Settings = plan.Settings, FittedOnExamples = plan.FittedOnExamples };
        File.WriteAllText(ReportPath(plan.Zip), JsonSerializer.Serialize(report, new JsonSerializerOptions(TrainingData.Json) { WriteIndented = true }));
        return report;
    }

    /// <summary>
    /// A model as serving loads it: <c>{version}.flat</c> beside <c>{version}.zip</c> (either path may be given),
    /// with its report <c>{version}.json</c>, as <c>train</c> writes them. ML.NET is not loaded.
    /// </summary>
    public static (TreeModel Model, ModelReport Report) LoadFile(string path)
    {
        if (!File.Exists(path) && !File.Exists(FlatModelFile.PathBeside(path))) throw new InvalidDataException($"There is no model at {path}.");
        var model = FlatModelFile.ReadFile(path);
        var reportPath = ReportPath(path);
        if (!File.Exists(reportPath)) throw new InvalidDataException($"The model at {path} has no report {Path.GetFileName(reportPath)} beside it.");
        var report = JsonSerializer.Deserialize<ModelReport>(File.ReadAllText(reportPath), TrainingData.Json)
            ?? throw new InvalidDataException($"{reportPath} holds no report.");
        return (model, report);
    }

    /// <summary>The ML.NET zip read with ML.NET: the record of the training run, for checks and for writing the flat file.</summary>
    public static TreeModel LoadMlNet(string zipPath, ModelReport report)
    {
        var zip = Path.ChangeExtension(zipPath, ".zip");
        var ml = new MLContext();
        var model = MlNetTrees.ToTreeModel(report.Version, ml.Model.Load(zip, out _), report.FeatureMeans);
        var acceptance = FlatModelFile.AcceptanceZipBeside(zip);
        return File.Exists(acceptance) ? model.WithAcceptance(MlNetTrees.ToTreeModel(report.Version, ml.Model.Load(acceptance, out _), report.FeatureMeans)) : model;
    }

    public static string ReportPath(string zipPath) => Path.ChangeExtension(zipPath, ".json");
}
