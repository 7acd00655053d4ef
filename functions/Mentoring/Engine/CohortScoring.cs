namespace Matching.Mentoring.Engine;

/// <summary>
/// Scores every pair of a cohort (many requests against the same mentors) across all cores: the input of a
/// capacity-constrained assignment. Filtered-out pairs score -1.
/// </summary>
public static class CohortScoring
{
    public static float[] Score(IReadOnlyList<MatchRequest> requests, IReadOnlyList<PreparedMentor> mentors, IPairScorer scorer, DateTime weekStartUtc)
    {
        var scores = new float[requests.Count * mentors.Count];
        Parallel.For(0, requests.Count, () => (Features: new float[mentors.Count * PairFeatures.Count], Index: new int[mentors.Count], Out: new float[mentors.Count]),
            (r, _, buffers) =>
            {
                var learner = new PreparedLearner(requests[r].Learner, weekStartUtc);
                var row = scores.AsSpan(r * mentors.Count, mentors.Count);
                row.Fill(-1);
                var n = 0;
                for (var m = 0; m < mentors.Count; m++)
                {
                    if (Filters.Check(learner, mentors[m]) != Exclusion.None) continue;
                    PairFeatures.Compute(requests[r], learner, mentors[m], buffers.Features.AsSpan(n * PairFeatures.Count, PairFeatures.Count));
                    buffers.Index[n++] = m;
                }
                scorer.Score(buffers.Features.AsSpan(0, n * PairFeatures.Count), buffers.Out.AsSpan(0, n));
                for (var i = 0; i < n; i++) row[buffers.Index[i]] = buffers.Out[i];
                return buffers;
            }, _ => { });
        return scores;
    }
}
