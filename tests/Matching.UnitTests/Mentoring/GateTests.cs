using Matching.Engine;
using Matching.Training;

namespace Matching.UnitTests.Mentoring;

/// <summary>
/// The promotion gate against noise: a candidate trained on a file whose labels were shuffled among its outcomes (so
/// nothing it learns is true) is never promoted, over many shuffles; the same file unshuffled is. The gate is judged
/// against the rules as the model in service, as in a first retraining.
/// </summary>
public sealed class GateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    private static TrainingData World(int seed) =>
        SyntheticData.Generate(new SyntheticData.Options(Mentors: 300, Learners: 1000, Seed: seed), WeeklyTime.WeekStart(Now));

    /// <summary>The same outcomes with their labels (accepted, held, rating) dealt out again at random.</summary>
    private static TrainingData Shuffled(TrainingData data, int seed)
    {
        var random = new Random(seed);
        var labels = data.Outcomes.Select(o => (o.Accepted, o.SessionHeld, o.Rating)).OrderBy(_ => random.Next()).ToList();
        var shuffled = data.Outcomes.Select((o, i) => o with { Accepted = labels[i].Accepted, SessionHeld = labels[i].SessionHeld, Rating = labels[i].Rating }).ToList();
        data.Outcomes.Clear();
        data.Outcomes.AddRange(shuffled);
        return data;
    }

    [Fact]
    public void Twenty_candidates_trained_on_shuffled_labels_are_all_rejected_and_the_true_labels_pass()
    {
        var folder = Directory.CreateTempSubdirectory("matching-gate-").FullName;
        try
        {
            var promoted = new List<string>();
            for (var shuffle = 0; shuffle < 20; shuffle++)
            {
                var (_, decision) = Retraining.Run(Shuffled(World(100 + shuffle), shuffle), new RuleScorer(), folder, $"noise{shuffle}", Now, new GateOptions(), "shuffled", "-");
                if (decision.Promote) promoted.Add($"{shuffle}: {decision.Reason}");
            }
            Assert.True(promoted.Count == 0, string.Join("\n", promoted));

            var (_, real) = Retraining.Run(World(100), new RuleScorer(), folder, "signal", Now, new GateOptions(), "synthetic", "-");
            Assert.True(real.Promote, real.Reason);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
