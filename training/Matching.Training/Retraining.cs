using System.Security.Cryptography;

using Matching.Engine;

namespace Matching.Training;

/// <summary>How strict the promotion gate is (settings Mentoring:Retrain:*). <paramref name="Level"/>: the confidence of
/// the gain's interval, 99% because the gate looks every week (a 95% one lets about one noise candidate in twenty through).</summary>
public sealed record GateOptions(double NdcgMargin = 0.01, double AucTolerance = 0.005, int BootstrapRounds = 1000, int Seed = 7, double Level = 0.99);

/// <summary>One scorer on the held-out requests: ranking (NDCG@5, P@1 where something worked), separation (AUC) and calibration (Brier).</summary>
public sealed record HeldOutMetrics(string Scorer, double Ndcg5, double PrecisionAt1, double Auc, double Brier);

/// <summary>
/// The gate's decision on a candidate, with what it was judged on: the candidate's NDCG@5 gain over the model in
/// service and the interval of that gain (at the options' level) from a bootstrap over held-out requests, the gain on
/// each half of the held-out part, the lower bound of the gain over the rules, the lower bound of the candidate's AUC
/// (95%), and with a synthetic prior, the gain over the same candidate trained on real outcomes alone.
/// </summary>
public sealed record GateDecision(bool Promote, string Reason, double NdcgGain, double NdcgGainLow, double NdcgGainHigh,
    HeldOutMetrics Candidate, HeldOutMetrics Current, HeldOutMetrics Rules, int TrainRequests, int HeldOutRequests, string DataSha256, int DataOutcomes,
    double Level = 0.95, double[]? HalfGains = null, double? RulesGainLow = null, double? AucLow = null, double? PriorGain = null);

/// <summary>
/// Retraining on real outcomes, trained as <c>train</c> trains (<see cref="TrainingPlan"/>: the most recent 20% of
/// requests held out, settings chosen by validation on the rest, fitted on the rest to be judged, refitted on every row
/// to serve): the fit is compared with the model in service and the rules on the held-out part, and the gate decides. The candidate is promoted only if it beats the model in service on NDCG@5 by the
/// margin with the bootstrap interval's lower bound (99%) above zero, on each half of the held-out part too (a second
/// slice against a lucky one), surely beats the rules as well, separates better than chance (the 95% interval of its
/// AUC above 0.5) and is not worse on AUC than the model in service; with a synthetic prior, it must also beat the same
/// candidate trained on real outcomes alone. A candidate learnt from noise fails several of these at once.
/// </summary>
public static class Retraining
{
    /// <summary>What the registry's pointer names instead of a version while no trained model serves: the shipped synthetic prior, or the rules.</summary>
    public const string PriorVersion = "prior", RulesVersion = "rules";

    /// <param name="priorRequests">How many requests of the synthetic world (the shipped prior's) to add to the training part while real
    /// outcomes are few; never to the held-out part, which stays real. 0: none.</param>
    public static (ModelReport Report, GateDecision Decision) Run(TrainingData data, IPairScorer current, string outputDirectory, string version,
        DateTimeOffset now, GateOptions gate, string source, string dataSha256, int priorRequests = 0)
    {
        var week = WeeklyTime.WeekStart(now);
        var split = TrainingPlan.ByTime(data, week);
        var heldOut = split.HeldOut;
        List<PairRow> prior = [];
        if (priorRequests > 0)
        {
            prior = SyntheticPrior(priorRequests, week).ToList();
            source += $", plus {priorRequests} SYNTHETIC prior requests in training";
        }
        var plan = TrainingPlan.Fit(split, outputDirectory, version, new MlNetTrees.TrainingOptions(), prior);
        var candidate = plan.Judged; // judged on its fit to the older part; the written model is the same settings on every row
        var (candidateMetrics, candidateNdcg) = Judge(candidate, heldOut);
        var (currentMetrics, currentNdcg) = Judge(current, heldOut);
        var (rulesMetrics, rulesNdcg) = Judge(new RuleScorer(), heldOut);
        var gain = Gains(candidateNdcg, currentNdcg); // where something worked
        var (low, high) = BootstrapInterval(gain, gate.BootstrapRounds, gate.Seed, gate.Level);
        var meanGain = gain.Length == 0 ? 0 : gain.Average();
        var half = candidateNdcg.Count / 2;
        var halves = new[] { Gains(candidateNdcg[..half], currentNdcg[..half]), Gains(candidateNdcg[half..], currentNdcg[half..]) }
            .Select(h => h.Length == 0 ? 0 : Round(h.Average())).ToArray();
        var (rulesLow, _) = BootstrapInterval(Gains(candidateNdcg, rulesNdcg), gate.BootstrapRounds, gate.Seed, gate.Level);
        var aucLow = AucLowerBound(candidate, heldOut, gate.BootstrapRounds, gate.Seed);
        double? priorGain = null;
        if (priorRequests > 0)
        {
            // The prior must earn its place: the same candidate without it, judged on the same real requests.
            var (realOnly, _, _) = MlNetTrees.Fit(split.TrainRows, version + "-real", plan.Options);
            var withoutPrior = Gains(candidateNdcg, Judge(realOnly, heldOut).Ndcg);
            priorGain = withoutPrior.Length == 0 ? 0 : Round(withoutPrior.Average());
        }
        var level = $"{gate.Level:0%}";
        var reason =
            gain.Length == 0 ? "no held-out request where something worked: nothing to judge the candidate on"
            : meanGain < gate.NdcgMargin ? $"NDCG@5 gain {meanGain:+0.000;-0.000} is below the margin {gate.NdcgMargin:0.000}"
            : low <= 0 ? $"NDCG@5 gain {meanGain:+0.000} is not sure: its {level} interval [{low:+0.000;-0.000}, {high:+0.000;-0.000}] reaches zero"
            : halves.Any(h => h <= 0) ? $"NDCG@5 gain does not hold on both halves of the held-out requests ({halves[0]:+0.000;-0.000}, {halves[1]:+0.000;-0.000})"
            : rulesLow <= 0 ? $"it does not surely beat the rules: the {level} interval of its NDCG@5 gain over them reaches {rulesLow:+0.000;-0.000}"
            : aucLow <= 0.5 ? $"it does not surely separate better than chance: the 95% interval of its AUC reaches {aucLow:0.000}"
            : candidateMetrics.Auc < currentMetrics.Auc - gate.AucTolerance ? $"AUC {candidateMetrics.Auc:0.000} is worse than the current {currentMetrics.Auc:0.000}"
            : priorGain <= 0 ? $"the synthetic prior does not help on real outcomes: NDCG@5 {priorGain:+0.000;-0.000} against the same candidate without it"
            : null;
        var decision = new GateDecision(reason is null, reason ?? $"NDCG@5 {meanGain:+0.000} [{low:+0.000}, {high:+0.000}] over {current.Name}, on both halves, over the rules, AUC not worse",
            Round(meanGain), Round(low), Round(high), candidateMetrics, currentMetrics, rulesMetrics, split.Train.Count, heldOut.Count, dataSha256, data.Outcomes.Count,
            gate.Level, halves, Round(rulesLow), Round(aucLow), priorGain);

        var pool = data.Mentors.Values.Select(m => new PreparedMentor(m, week)).ToList();
        var report = new ModelReport(version, now, source, split.TrainRows.Count + prior.Count, heldOut.Sum(e => e.Pairs.Count), heldOut.Count,
            Evaluation.Measure(candidate, heldOut, pool, week), Evaluation.Measure(new RuleScorer(), heldOut, pool, week), PairFeatures.Names, plan.Means,
            data.Problems.Take(100).ToList()) { Gate = decision, Sides = plan.Sides, Settings = plan.Settings, FittedOnExamples = plan.FittedOnExamples };
        File.WriteAllText(Evaluation.ReportPath(plan.Zip), System.Text.Json.JsonSerializer.Serialize(report, new System.Text.Json.JsonSerializerOptions(TrainingData.Json) { WriteIndented = true }));
        return (report, decision);
    }

    /// <summary>The synthetic world the shipped model learnt, as training rows (its outcomes say nothing of who was offered: all were).</summary>
    private static IEnumerable<PairRow> SyntheticPrior(int requests, DateTime week) =>
        SyntheticData.Generate(new SyntheticData.Options(Learners: requests), week).Examples(week).SelectMany(e => e.Pairs.Select(p => p.Row));

    /// <summary>Paired differences where both were judged (something worked).</summary>
    private static double[] Gains(List<double> a, List<double> b) => a.Zip(b, (x, y) => x - y).Where(d => !double.IsNaN(d)).ToArray();

    /// <summary>The 2.5th percentile of the candidate's AUC over held-out requests drawn with replacement.</summary>
    private static double AucLowerBound(IPairScorer scorer, IReadOnlyList<(string RequestId, MatchRequest Request, List<(string MentorId, PairRow Row)> Pairs)> heldOut,
        int rounds, int seed)
    {
        var perRequest = heldOut.Select(r =>
        {
            var scores = new float[r.Pairs.Count];
            scorer.Score(r.Pairs.SelectMany(p => p.Row.Features).ToArray(), scores);
            return r.Pairs.Select((p, i) => (scores[i], p.Row.Label)).ToArray();
        }).ToArray();
        var random = new Random(seed);
        var aucs = new double[rounds];
        var sample = new List<(float, bool)>();
        for (var r = 0; r < rounds; r++)
        {
            sample.Clear();
            for (var i = 0; i < perRequest.Length; i++) sample.AddRange(perRequest[random.Next(perRequest.Length)]);
            aucs[r] = Evaluation.Auc(sample);
        }
        Array.Sort(aucs);
        return aucs[(int)(0.025 * (rounds - 1))];
    }

    /// <summary>
    /// Cold start: with too few real outcomes to train on, which of the synthetic prior and the rules ranks them better.
    /// The rules are chosen only if they beat the prior by the margin with the interval's lower bound above zero.
    /// </summary>
    public static (string Choice, string Reason) ColdStart(TrainingData data, IPairScorer prior, DateTimeOffset now, GateOptions gate)
    {
        var requests = data.Examples(WeeklyTime.WeekStart(now));
        var (_, priorNdcg) = Judge(prior, requests);
        var (_, rulesNdcg) = Judge(new RuleScorer(), requests);
        var gain = rulesNdcg.Zip(priorNdcg, (a, b) => a - b).Where(d => !double.IsNaN(d)).ToArray();
        if (gain.Length == 0) return (PriorVersion, "no real outcome that worked yet");
        var (low, high) = BootstrapInterval(gain, gate.BootstrapRounds, gate.Seed);
        var mean = gain.Average();
        return mean >= gate.NdcgMargin && low > 0
            ? (RulesVersion, $"the rules rank {gain.Length} real requests better, NDCG@5 {mean:+0.000} [{low:+0.000}, {high:+0.000}]")
            : (PriorVersion, $"the rules do not rank {gain.Length} real requests surely better (NDCG@5 {mean:+0.000;-0.000} [{low:+0.000;-0.000}, {high:+0.000;-0.000}])");
    }

    /// <summary>The metrics on the held-out requests, and each request's NDCG@5 (in request order; only where something worked).</summary>
    private static (HeldOutMetrics, List<double> Ndcg) Judge(IPairScorer scorer,
        IReadOnlyList<(string RequestId, MatchRequest Request, List<(string MentorId, PairRow Row)> Pairs)> heldOut)
    {
        var ndcg = new List<double>();
        double p1 = 0, brier = 0;
        var scored = new List<(float, bool)>();
        foreach (var (_, _, pairs) in heldOut)
        {
            var scores = new float[pairs.Count];
            scorer.Score(pairs.SelectMany(p => p.Row.Features).ToArray(), scores);
            for (var i = 0; i < pairs.Count; i++)
            {
                scored.Add((scores[i], pairs[i].Row.Label));
                var p = scores[i] / 100.0;
                brier += (p - (pairs[i].Row.Label ? 1 : 0)) * (p - (pairs[i].Row.Label ? 1 : 0));
            }
            if (Evaluation.Ndcg5(pairs, i => scores[i]) is not { } one) { ndcg.Add(double.NaN); continue; }
            ndcg.Add(one.Ndcg5);
            p1 += one.FirstWorked ? 1 : 0;
        }
        var judged = ndcg.Where(v => !double.IsNaN(v)).ToList();
        return (new HeldOutMetrics(scorer.Name, Round(judged.Count == 0 ? 0 : judged.Average()), Round(p1 / Math.Max(1, judged.Count)),
            Round(Evaluation.Auc(scored)), Round(brier / Math.Max(1, scored.Count))), ndcg);
    }

    /// <summary>The two-sided <paramref name="level"/> interval (95%: the 2.5th and 97.5th percentiles) of the mean of
    /// <paramref name="values"/> (NaN: not judged) over requests drawn with replacement.</summary>
    public static (double Low, double High) BootstrapInterval(IReadOnlyList<double> values, int rounds, int seed, double level = 0.95)
    {
        var judged = values.Where(v => !double.IsNaN(v)).ToArray();
        if (judged.Length == 0) return (0, 0);
        var random = new Random(seed);
        var means = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            double sum = 0;
            for (var i = 0; i < judged.Length; i++) sum += judged[random.Next(judged.Length)];
            means[r] = sum / judged.Length;
        }
        Array.Sort(means);
        var tail = (1 - level) / 2;
        return (means[(int)(tail * (rounds - 1))], means[(int)Math.Ceiling((1 - tail) * (rounds - 1))]);
    }

    /// <summary>What the candidate was trained on, to tell two runs apart.</summary>
    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    private static double Round(double v) => Math.Round(v, 4);
}
