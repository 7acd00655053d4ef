namespace Matching.Mentoring.Engine;

public sealed record Proposal(string MentorId, double Score, string Explanation, IReadOnlyList<Explanations.Factor> Factors);

public sealed record MatchResult(IReadOnlyList<Proposal> Proposals, int CandidatesScored, IReadOnlyDictionary<Exclusion, int> Excluded, string Scorer)
{
    /// <summary>Why nobody was proposed, most frequent reason first.</summary>
    public IReadOnlyList<Exclusion> Reasons => Excluded.Where(e => e.Value > 0).OrderByDescending(e => e.Value).Select(e => e.Key).ToList();
}

/// <summary>Filter, features, score, choose: the engine's one entry point for a single request.</summary>
public static class Matcher
{
    public static MatchResult Match(MatchRequest request, IReadOnlyList<PreparedMentor> mentors, IPairScorer scorer, int k, DateTime weekStartUtc,
        ISet<string>? exclude = null)
    {
        var learner = new PreparedLearner(request.Learner, weekStartUtc);
        var excluded = new Dictionary<Exclusion, int>();
        var candidates = new List<PreparedMentor>();
        foreach (var mentor in mentors)
        {
            if (exclude?.Contains(mentor.Profile.Id) == true) continue;
            var why = Filters.Check(learner, mentor);
            if (why == Exclusion.None) candidates.Add(mentor);
            else excluded[why] = excluded.GetValueOrDefault(why) + 1;
        }
        if (candidates.Count == 0 || k <= 0) return new MatchResult([], 0, excluded, scorer.Name);

        var features = new float[candidates.Count * PairFeatures.Count];
        for (var i = 0; i < candidates.Count; i++)
            PairFeatures.Compute(request, learner, candidates[i], features.AsSpan(i * PairFeatures.Count, PairFeatures.Count));
        var scores = new float[candidates.Count];
        scorer.Score(features, scores);

        // Top k by score; ties broken by lighter load, then id, so that results are stable.
        var top = Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => scores[i]).ThenBy(i => candidates[i].Profile.Load).ThenBy(i => candidates[i].Profile.Id, StringComparer.Ordinal)
            .Take(k).ToList();
        var proposals = top.Select(i =>
        {
            var row = features.AsSpan(i * PairFeatures.Count, PairFeatures.Count);
            var (text, factors) = Explanations.Explain(scorer.Contributions(row), row);
            return new Proposal(candidates[i].Profile.Id, Math.Round(scores[i], 1), text, factors);
        }).ToList();
        return new MatchResult(proposals, candidates.Count, excluded, scorer.Name);
    }
}
