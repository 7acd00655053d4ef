namespace Matching.Engine;

/// <summary>Scores pairs from their features (rows of <see cref="PairFeatures.Count"/> floats). Must be thread-safe.</summary>
public interface IPairScorer
{
    string Name { get; }

    /// <summary>Scores 0-100, one per row of <paramref name="features"/>.</summary>
    void Score(ReadOnlySpan<float> features, Span<float> scores);

    /// <summary>How much each feature added to this pair's score (same scale as the score).</summary>
    float[] Contributions(ReadOnlySpan<float> features);
}

/// <summary>
/// The transparent baseline, as the best mentoring tools do it: hard constraints are filters ("must"),
/// then weighted points per overlap (high 5, medium 3, low 1), scaled to 0-100. Also the fallback before any
/// model exists.
/// </summary>
public sealed class RuleScorer : IPairScorer
{
    public static readonly float[] Weights =
    [
        5, // goalOverlap (high)
        3, // languageLevel (medium)
        3, // availabilityOverlap (medium)
        1, // proximity (low)
        1, // modeFit (low)
        1, // mentorLoad, inverted: room left (low)
        1, // acceptanceRecord (low)
        1, // ratingRecord (low)
        3, // occupationMatch (medium)
        3, // sectorMatch (medium)
        1, // textSimilarity (low)
        1, // experience (low)
        .. new float[PairFeatures.Count - 12], // the raw facts: for the model to weigh, not the rules
    ];

    private static readonly float Total = Weights.Sum();

    public string Name => "rules-v1";

    private static float Value(ReadOnlySpan<float> f, int i) => i == PairFeatures.MentorLoad ? 1 - f[i] : f[i];

    public void Score(ReadOnlySpan<float> features, Span<float> scores)
    {
        for (var row = 0; row < scores.Length; row++)
        {
            var f = features.Slice(row * PairFeatures.Count, PairFeatures.Count);
            float points = 0;
            for (var i = 0; i < PairFeatures.Count; i++) points += Weights[i] * Value(f, i);
            scores[row] = 100 * points / Total;
        }
    }

    public float[] Contributions(ReadOnlySpan<float> features)
    {
        var c = new float[PairFeatures.Count];
        for (var i = 0; i < c.Length; i++) c[i] = 100 * Weights[i] * Value(features, i) / Total;
        return c;
    }
}

/// <summary>
/// What weighed most in a score, as feature names (<c>Because</c>, <c>Against</c>): codes, not words. The app puts them
/// into the reader's words when it is read (<c>Matching.Mentoring.ExplanationWords</c>).
/// </summary>
public static class Explanations
{
    public sealed record Factor(string Feature, float Weight);

    public sealed record Reasons(IReadOnlyList<string> Because, string? Against);

    public static (Reasons Reasons, IReadOnlyList<Factor> Factors) Explain(float[] contributions, ReadOnlySpan<float> features)
    {
        var values = features.ToArray();
        var order = Enumerable.Range(0, contributions.Length).OrderByDescending(i => contributions[i]).ToArray();
        var top = order.Where(i => contributions[i] > 0.5f && values[i] > 0.05f).Take(3).ToArray();
        var factors = order.Take(5).Select(i => new Factor(PairFeatures.Names[i], (float)Math.Round(contributions[i], 1))).ToList();
        var weakest = order[^1];
        return (new Reasons(top.Select(i => PairFeatures.Names[i]).ToList(), contributions[weakest] < -2f ? PairFeatures.Names[weakest] : null), factors);
    }
}
