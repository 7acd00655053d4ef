namespace Matching.Mentoring.Engine;

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
/// Plain-words explanations from the features that weighed most. What weighed is kept as feature names (<c>Because</c>,
/// <c>Against</c>); the sentence is built when it is read, from a phrase per feature in the reader's language.
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

    /// <summary>The sentence, in the current UI culture: the English phrases are the texts' keys.</summary>
    /// <param name="toMentor">Addressed to the mentor it is about ("you ..."), not to the staff choosing among mentors.</param>
    public static string Text(Reasons reasons, bool toMentor = false)
    {
        var phrases = reasons.Because.Select(n => Array.IndexOf(PairFeatures.Names, n)).Where(i => i >= 0)
            .Select(i => toMentor ? PairFeatures.YouPhrases[i] : PairFeatures.Phrases[i]).ToList();
        if (toMentor)
        {
            var you = phrases.Count switch
            {
                0 => Texts.Localize("Proposed to you because you meet every requirement; no single factor stands out."),
                1 => Texts.Format("Proposed to you mainly because {0}.", phrases[0]),
                2 => Texts.Format("Proposed to you mainly because {0} and {1}.", phrases[0], phrases[1]),
                _ => Texts.Format("Proposed to you mainly because {0}, {1} and {2}.", phrases[0], phrases[1], phrases[2]),
            };
            if (reasons.Against is { } weak && Array.IndexOf(PairFeatures.Names, weak) is var w and >= 0)
                you += " " + Texts.Format("Less favourable: {0}.", PairFeatures.YouNegativePhrases[w]);
            return you;
        }
        var text = phrases.Count switch
        {
            0 => Texts.Localize("Proposed because the mentor meets every requirement; no single factor stands out."),
            1 => Texts.Format("Proposed mainly because the mentor {0}.", phrases[0]),
            2 => Texts.Format("Proposed mainly because the mentor {0} and {1}.", phrases[0], phrases[1]),
            _ => Texts.Format("Proposed mainly because the mentor {0}, {1} and {2}.", phrases[0], phrases[1], phrases[2]),
        };
        if (reasons.Against is { } against && Array.IndexOf(PairFeatures.Names, against) is var i and >= 0)
            text += " " + Texts.Format("Less favourable: the mentor {0}.", PairFeatures.NegativePhrases[i]);
        return text;
    }
}
