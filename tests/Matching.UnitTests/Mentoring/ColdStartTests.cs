using Matching.Engine;
using Matching.Training;

namespace Matching.UnitTests.Mentoring;

/// <summary>Cold start: with few real outcomes, the rules take over from the synthetic prior only when they surely rank them better.</summary>
public sealed class ColdStartTests
{
    private sealed class Indifferent : IPairScorer
    {
        public string Name => "indifferent";
        public void Score(ReadOnlySpan<float> features, Span<float> scores) => scores.Fill(50);
        public float[] Contributions(ReadOnlySpan<float> features) => new float[PairFeatures.Count];
    }

    [Fact]
    public void The_rules_replace_a_prior_that_ranks_nothing_and_a_good_prior_stays()
    {
        var now = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        var data = SyntheticData.Generate(new SyntheticData.Options(Mentors: 300, Learners: 150, Seed: 21), WeeklyTime.WeekStart(now));

        var (choice, why) = Retraining.ColdStart(data, new Indifferent(), now, new GateOptions());
        Assert.Equal("rules", choice);
        Assert.Contains("rank", why);

        var shipped = FlatModelFile.ReadFile(Path.Combine(AppContext.BaseDirectory, "Mentoring", "Model", "matching-v3.zip"));
        Assert.Equal("prior", Retraining.ColdStart(data, shipped, now, new GateOptions()).Choice);
    }
}
