using System.Collections.Concurrent;

namespace Matching.Engine;

/// <summary>
/// Keeps proposals from piling onto the same few mentors (a volunteer asked too often stops answering): a mentor is
/// ranked by their score less <c>Weight x 100 x recent proposals / capacity</c>. Recent proposals decay by half every
/// <see cref="HalfLife"/>. The counts are this instance's (each instance spreads what it proposes); the weight is the
/// setting <c>Mentoring:LoadSpreadWeight</c>, measured against NDCG@5 in docs/matching-model.md.
/// </summary>
public sealed class LoadSpread(double weight, TimeProvider time)
{
    public static readonly TimeSpan HalfLife = TimeSpan.FromDays(7);

    /// <summary>On the synthetic benchmark: the Gini of proposals from 0.80 to 0.65 for 1.3% of NDCG@5 (docs/matching-model.md).</summary>
    public const double DefaultWeight = 0.05;
    private readonly ConcurrentDictionary<string, (double Count, DateTimeOffset At)> _recent = new(StringComparer.Ordinal);

    public double Weight { get; } = weight;

    /// <summary>The mentor's recent proposals, decayed to <paramref name="now"/> (by default the clock's now).</summary>
    public double Recent(string mentorId, DateTimeOffset? now = null) =>
        _recent.TryGetValue(mentorId, out var r) ? r.Count * Math.Pow(0.5, ((now ?? time.GetUtcNow()) - r.At) / HalfLife) : 0;

    /// <param name="now">The moment of the ranking, read once by the caller for all its candidates.</param>
    public float Adjust(float score, MentorProfile mentor, DateTimeOffset? now = null) =>
        (float)(score - Weight * 100 * Recent(mentor.Id, now) / Math.Max(1, mentor.Capacity));

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Counts the proposals just made.</summary>
    public void Proposed(IEnumerable<string> mentorIds)
    {
        var now = time.GetUtcNow();
        foreach (var id in mentorIds)
            _recent.AddOrUpdate(id, _ => (1, now), (_, r) => (r.Count * Math.Pow(0.5, (now - r.At) / HalfLife) + 1, now));
    }
}
