namespace Matching.Engine;

/// <summary>One training example: a pair's features, whether the pair worked, and the mentor's side of it.</summary>
public sealed class PairRow
{
    public float[] Features { get; set; } = new float[PairFeatures.Count];
    public bool Label { get; set; }
    /// <summary>How much this outcome counts in training: the inverse of its propensity (<see cref="Exploration.Weight"/>), 1 when it was always going to be shown.</summary>
    public float Weight { get; set; } = 1;
    /// <summary>The pair was put to the mentor (the learner chose it), who then <see cref="Accepted"/> or declined.</summary>
    public bool Offered { get; set; } = true;
    public bool Accepted { get; set; }
    public string? DeclineReason { get; set; }
}
