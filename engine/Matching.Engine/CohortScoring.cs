namespace Matching.Engine;

/// <summary>
/// Scores every pair of a cohort (many requests against the same mentors) across all cores: the input of a
/// capacity-constrained assignment. Filtered-out pairs score -1.
/// </summary>
public static class CohortScoring
{
    public static float[] Score(IReadOnlyList<MatchRequest> requests, IReadOnlyList<PreparedMentor> mentors, IPairScorer scorer, DateTime weekStartUtc)
    {
        var scores = new float[requests.Count * mentors.Count];
        var columns = MentorColumns.For(mentors);
        Parallel.For(0, requests.Count, () => (Features: new float[mentors.Count * PairFeatures.Count], Index: new int[mentors.Count], Out: new float[mentors.Count]),
            (r, _, buffers) =>
            {
                var learner = new PreparedLearner(requests[r].Learner, weekStartUtc);
                var row = scores.AsSpan(r * mentors.Count, mentors.Count);
                row.Fill(-1);
                Span<int> excluded = stackalloc int[MentorColumns.Reasons];
                var n = columns.Pass(requests[r], learner, null, buffers.Features, buffers.Index, excluded);
                scorer.Score(buffers.Features.AsSpan(0, n * PairFeatures.Count), buffers.Out.AsSpan(0, n));
                for (var i = 0; i < n; i++) row[buffers.Index[i]] = buffers.Out[i];
                return buffers;
            }, _ => { });
        return scores;
    }
}
