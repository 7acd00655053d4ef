namespace Matching.Engine;

/// <summary>One learner's assignment in a cohort: the mentor (null when none could take them) and the pair's score.</summary>
public sealed record CohortMatch(int Learner, string? MentorId, float Score);

/// <summary>
/// A whole cohort assigned at once, optimally under the mentors' free capacity: each learner at most one mentor, each
/// mentor at most their free places, the total score as high as it can be, over each learner's best
/// <see cref="Candidates"/> mentors. A min-cost flow (source, learners, mentors, sink) solved by successive shortest
/// paths with potentials (Dijkstra on reduced costs, one learner a path): exact, and deterministic for the same input
/// (ties go to the lower index). Written here rather than with Google.OrTools, whose native libraries would take the
/// deployment package from 19 MiB to over 70 (its 20 MiB budget). A fairness weight makes each further place a mentor
/// gives cost more, so that the optimum prefers spreading learners over equal totals.
/// </summary>
public static class CohortAssignment
{
    public const int Candidates = 50;
    private const long Scale = 1000; // scores (0-100) as integer costs, to the thousandth

    public static IReadOnlyList<CohortMatch> Assign(IReadOnlyList<MatchRequest> cohort, IReadOnlyList<PreparedMentor> mentors, IPairScorer scorer,
        DateTime weekStartUtc, double fairness = 0)
    {
        // The arcs: each learner's best candidates (filters passed), by score; learners in parallel, buffers per thread.
        var columns = MentorColumns.For(mentors);
        var arcs = new List<(int Mentor, float Score)>[cohort.Count];
        Parallel.For(0, cohort.Count, () => (Features: new float[columns.Count * PairFeatures.Count], Index: new int[columns.Count], Scores: new float[columns.Count]),
            (l, _, buffers) =>
            {
                Span<int> excluded = stackalloc int[MentorColumns.Reasons];
                var n = columns.Pass(cohort[l], new PreparedLearner(cohort[l].Learner, weekStartUtc), null, buffers.Features, buffers.Index, excluded);
                scorer.Score(buffers.Features.AsSpan(0, n * PairFeatures.Count), buffers.Scores.AsSpan(0, n));
                // The best Candidates: a bounded insertion (ties to the lower mentor index), no full sort.
                var best = new List<(int Mentor, float Score)>(Candidates + 1);
                for (var i = 0; i < n; i++)
                {
                    var (mentor, score) = (buffers.Index[i], buffers.Scores[i]);
                    if (best.Count == Candidates && score <= best[^1].Score) continue;
                    var at = best.Count;
                    while (at > 0 && best[at - 1].Score < score) at--;
                    best.Insert(at, (mentor, score));
                    if (best.Count > Candidates) best.RemoveAt(Candidates);
                }
                arcs[l] = best;
                return buffers;
            }, _ => { });

        var placed = Solve(arcs, m => Math.Max(0, mentors[m].Profile.Capacity - mentors[m].Profile.Load), fairness);
        return placed.Select((p, l) => p is { } at ? new CohortMatch(l, mentors[at.Mentor].Profile.Id, at.Score) : new CohortMatch(l, null, 0)).ToList();
    }

    /// <summary>
    /// The optimal placement of learners over given candidates: <paramref name="candidates"/>[l] lists learner l's
    /// (mentor, score) pairs, <paramref name="free"/> gives a mentor's free places. Returns each learner's pair, or null.
    /// </summary>
    public static IReadOnlyList<(int Mentor, float Score)?> Solve(IReadOnlyList<List<(int Mentor, float Score)>> candidates, Func<int, int> free, double fairness = 0)
    {
        // The graph: learners 0..L-1, then the mentors that appear in some arc, then the sink.
        var used = candidates.SelectMany(a => a.Select(x => x.Mentor)).Distinct().Order().ToArray();
        var node = new Dictionary<int, int>(used.Length);
        for (var i = 0; i < used.Length; i++) node[used[i]] = candidates.Count + i;
        var sink = candidates.Count + used.Length;
        var graph = new Graph(sink + 1);
        for (var l = 0; l < candidates.Count; l++)
        {
            foreach (var (m, score) in candidates[l]) graph.Add(l, node[m], 1, -(long)Math.Round(score * Scale));
            graph.Add(l, sink, 1, 0); // "not placed": so that a later learner can take the place of one who scores less there
        }
        foreach (var m in used)
            for (var place = 0; place < free(m); place++) // the k-th place costs k x fairness more
                graph.Add(node[m], sink, 1, (long)Math.Round(place * fairness * Scale));
        graph.AssignEach(candidates.Count, sink);

        var result = new (int, float)?[candidates.Count];
        for (var l = 0; l < candidates.Count; l++)
            if (graph.Edges(l).FirstOrDefault(e => e.Flow > 0 && e.To != sink) is { } chosen)
            {
                var mentor = used[chosen.To - candidates.Count];
                result[l] = (mentor, candidates[l].First(a => a.Mentor == mentor).Score);
            }
        return result;
    }

    /// <summary>The same cohort, greedily in order of arrival: each learner takes their best candidate with a place left.</summary>
    public static IReadOnlyList<CohortMatch> Greedy(IReadOnlyList<MatchRequest> cohort, IReadOnlyList<PreparedMentor> mentors, IPairScorer scorer, DateTime weekStartUtc)
    {
        var free = mentors.Select(m => Math.Max(0, m.Profile.Capacity - m.Profile.Load)).ToArray();
        var index = mentors.Select((m, i) => (m.Profile.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var result = new List<CohortMatch>(cohort.Count);
        for (var l = 0; l < cohort.Count; l++)
        {
            var proposals = Matcher.Match(cohort[l], mentors, scorer, Candidates, weekStartUtc).Proposals;
            var pick = proposals.FirstOrDefault(p => free[index[p.MentorId]] > 0);
            if (pick is not null) free[index[pick.MentorId]]--;
            result.Add(new CohortMatch(l, pick?.MentorId, (float)(pick?.Score ?? 0)));
        }
        return result;
    }

    private sealed class Edge(int to, int capacity, long cost)
    {
        public int To { get; } = to;
        public int Capacity { get; set; } = capacity;
        public long Cost { get; } = cost;
        public int Flow { get; set; }
        public Edge Reverse { get; set; } = null!;
    }

    private sealed class Graph(int nodes)
    {
        private readonly List<Edge>[] _out = Enumerable.Range(0, nodes).Select(_ => new List<Edge>()).ToArray();

        public IEnumerable<Edge> Edges(int from) => _out[from];

        public void Add(int from, int to, int capacity, long cost)
        {
            var forward = new Edge(to, capacity, cost);
            var backward = new Edge(from, 0, -cost);
            (forward.Reverse, backward.Reverse) = (backward, forward);
            _out[from].Add(forward);
            _out[to].Add(backward);
        }

        /// <summary>
        /// Learners arrive one by one (nodes 0..learners-1); each is placed along a cheapest path from it to the sink
        /// in the residual graph: it may move earlier learners to other mentors, or take the place of one who then
        /// goes unplaced (each learner's arc straight to the sink): after each, the assignment is optimal for the
        /// learners so far. Dijkstra on reduced costs, stopped at the sink.
        /// </summary>
        public void AssignEach(int learners, int sink)
        {
            var n = _out.Length;
            var potential = new long[n]; // mentors and sink start at 0: their arcs' costs are not negative
            var distance = new long[n];
            var via = new Edge?[n];
            var settled = new List<int>();
            var done = new bool[n];
            var queue = new PriorityQueue<int, (long, int)>();
            for (var l = 0; l < learners; l++)
            {
                // The new learner's potential makes its own arcs' reduced costs non-negative.
                var p = long.MinValue;
                foreach (var e in _out[l]) if (e.Capacity > 0) p = Math.Max(p, potential[e.To] - e.Cost);
                potential[l] = p;
                foreach (var u in settled) { done[u] = false; distance[u] = long.MaxValue; via[u] = null; }
                settled.Clear();
                distance[l] = 0;
                queue.Enqueue(l, (0, l));
                var reached = false;
                while (queue.TryDequeue(out var u, out _))
                {
                    if (done[u]) continue;
                    done[u] = true;
                    settled.Add(u);
                    if (u == sink) { reached = true; break; }
                    foreach (var e in _out[u])
                    {
                        if (e.Capacity - e.Flow <= 0) continue;
                        var d = distance[u] + e.Cost + potential[u] - potential[e.To];
                        if (!done[e.To] && (via[e.To] is null || d < distance[e.To]))
                        {
                            distance[e.To] = d;
                            via[e.To] = e;
                            queue.Enqueue(e.To, (d, e.To));
                        }
                    }
                }
                // Nodes reached but not settled must not keep a stale distance for the next learner.
                while (queue.TryDequeue(out var left, out _)) if (!done[left]) { settled.Add(left); }
                if (!reached) continue; // cannot happen: "not placed" always reaches the sink
                foreach (var u in settled) if (done[u]) potential[u] += distance[u] - distance[sink]; // reduced costs stay non-negative
                for (var v = sink; v != l; v = via[v]!.Reverse.To)
                {
                    via[v]!.Flow++;
                    via[v]!.Reverse.Flow--;
                }
            }
        }
    }
}
