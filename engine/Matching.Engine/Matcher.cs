using System.Buffers;

namespace Matching.Engine;

/// <summary>A mentor proposed, with the score and what weighed in it (codes: the app words them).</summary>
public sealed record Proposal(string MentorId, double Score, Explanations.Reasons Reasons, IReadOnlyList<Explanations.Factor> Factors);

public sealed record MatchResult(IReadOnlyList<Proposal> Proposals, int CandidatesScored, IReadOnlyDictionary<Exclusion, int> Excluded, string Scorer)
{
    /// <summary>Why nobody was proposed, most frequent reason first.</summary>
    public IReadOnlyList<Exclusion> Reasons => Excluded.Where(e => e.Value > 0).OrderByDescending(e => e.Value).Select(e => e.Key).ToList();
}

/// <summary>Filter, features, score, choose: the engine's one entry point for a single request.</summary>
public static class Matcher
{
    /// <param name="spread">Load spread (<see cref="LoadSpread"/>): ranks by the score less a penalty for mentors asked often
    /// lately for their capacity; the score shown stays the scorer's.</param>
    public static MatchResult Match(MatchRequest request, IReadOnlyList<PreparedMentor> mentors, IPairScorer scorer, int k, DateTime weekStartUtc,
        ISet<string>? exclude = null, LoadSpread? spread = null)
    {
        var learner = new PreparedLearner(request.Learner, weekStartUtc);
        var columns = MentorColumns.For(mentors);
        var buffers = MentorColumns.Rent(columns.Count);
        try
        {
            Span<int> counts = stackalloc int[MentorColumns.Reasons];
            var n = columns.Pass(request, learner, exclude, buffers.Features, buffers.Candidates, counts);
            var excluded = new Dictionary<Exclusion, int>();
            for (var e = 1; e < counts.Length; e++) if (counts[e] > 0) excluded[(Exclusion)e] = counts[e];
            if (n == 0 || k <= 0) return new MatchResult([], 0, excluded, scorer.Name);

            var features = buffers.Features.AsSpan(0, n * PairFeatures.Count);
            var scores = ArrayPool<float>.Shared.Rent(n);
            try
            {
                var twoSided = scorer is TreeModel { Acceptance: not null } model ? model : null;
                if (twoSided is null) scorer.Score(features, scores.AsSpan(0, n));
                else twoSided.ScoreOwn(features, scores.AsSpan(0, n)); // the success side: a bound on each final score
                var ranking = spread is { Weight: > 0 } ? new float[n] : scores;
                // Top k by score; ties broken by lighter load, then id, so that results are stable.
                var top = new List<int>(k + 1);
                var now = spread?.Now;
                void Consider(int i)
                {
                    if (spread is { Weight: > 0 }) ranking[i] = spread.Adjust(scores[i], columns.Mentors[buffers.Candidates[i]].Profile, now);
                    var at = top.Count;
                    while (at > 0 && Before(i, top[at - 1])) at--;
                    if (at < k) { top.Insert(at, i); if (top.Count > k) top.RemoveAt(k); }
                }
                if (twoSided is null)
                    for (var i = 0; i < n; i++) Consider(i);
                else
                    TwoSidedTop(twoSided.Acceptance!, buffers.Features, scores, n, k, top, ranking, Consider);
                bool Before(int a, int b)
                {
                    if (ranking[a] != ranking[b]) return ranking[a] > ranking[b];
                    var (ma, mb) = (columns.Mentors[buffers.Candidates[a]].Profile, columns.Mentors[buffers.Candidates[b]].Profile);
                    return ma.Load != mb.Load ? ma.Load < mb.Load : string.CompareOrdinal(ma.Id, mb.Id) < 0;
                }
                var proposals = top.Select(i =>
                {
                    var row = buffers.Features.AsSpan(i * PairFeatures.Count, PairFeatures.Count);
                    var (reasons, factors) = Explanations.Explain(scorer.Contributions(row), row);
                    return new Proposal(columns.Mentors[buffers.Candidates[i]].Profile.Id, Math.Round(scores[i], 1), reasons, factors);
                }).ToList();
                return new MatchResult(proposals, n, excluded, scorer.Name);
            }
            finally { ArrayPool<float>.Shared.Return(scores); }
        }
        finally { MentorColumns.Return(buffers); }
    }

    /// <summary>
    /// Two-sided top k without walking the acceptance side for everyone: a final score is the success score times an
    /// acceptance below 1, less any load-spread penalty, so the success score bounds it. The eight best by success are
    /// taken first; the k-th ranking among them is a bar that only rises, and of the rest only those whose success
    /// reaches the bar are walked, eight at a time. The result is the one scoring everyone would give. On return,
    /// <paramref name="scores"/> holds final scores for the candidates considered.
    /// </summary>
    private static void TwoSidedTop(TreeModel acceptance, float[] features, float[] scores, int n, int k, List<int> top, float[] ranking, Action<int> consider)
    {
        const int width = PairFeatures.Count, block = 8;
        Span<float> rows = stackalloc float[block * width];
        Span<float> accepted = stackalloc float[block];
        Span<int> pending = stackalloc int[block];
        var count = 0;
        void Flush(Span<float> rows, Span<float> accepted, Span<int> pending)
        {
            for (var j = 0; j < count; j++) features.AsSpan(pending[j] * width, width).CopyTo(rows.Slice(j * width, width));
            acceptance.Score(rows[..(count * width)], accepted[..count]);
            for (var j = 0; j < count; j++)
            {
                scores[pending[j]] = TreeModel.Both(scores[pending[j]], accepted[j]);
                consider(pending[j]);
            }
            count = 0;
        }
        // The eight best by success, by a bounded insertion (no sort of everyone).
        Span<int> first = stackalloc int[block];
        var taken = 0;
        for (var i = 0; i < n; i++)
        {
            if (taken == block && scores[i] <= scores[first[block - 1]]) continue;
            var at = Math.Min(taken, block - 1);
            while (at > 0 && scores[first[at - 1]] < scores[i]) { first[at] = first[at - 1]; at--; }
            first[at] = i;
            if (taken < block) taken++;
        }
        for (var j = 0; j < taken; j++) pending[count++] = first[j];
        Flush(rows, accepted, pending);
        if (taken == n) return;
        var done = first[..taken].ToArray();
        for (var i = 0; i < n; i++)
        {
            if (Array.IndexOf(done, i) >= 0) continue;
            if (top.Count == k && scores[i] < ranking[top[k - 1]]) continue; // cannot reach the bar
            pending[count++] = i;
            if (count == block) Flush(rows, accepted, pending);
        }
        if (count > 0) Flush(rows, accepted, pending);
    }
}
