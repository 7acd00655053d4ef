using Matching.Studies;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Matching.Engine;
using Matching.Training;

namespace Matching.Benchmarks;

/// <summary>The engine in process: one request against 10,000 mentors, a 1,000 x 1,000 cohort, and model loading.</summary>
internal static class MatchingScenarios
{
    /// <summary>
    /// Whole-cohort assignment against greedy in order of arrival: 1,000 learners against 10,000 mentors and 200
    /// against 2,000 (capacity 1-3 free places each), the shipped model's scores.
    /// </summary>
    public static void Cohorts(string modelPath)
    {
        var week = WeeklyTime.WeekStart(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var model = FlatModelFile.ReadFile(modelPath);
        Console.WriteLine("| cohort | method | time | assigned | total score | mean score | Gini of places over mentors |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        // The last cohort is scarce: fewer places than learners, one each.
        foreach (var (learners, mentorCount, scarce) in new[] { (200, 2_000, false), (1_000, 10_000, false), (1_000, 800, true) })
        {
            var random = new Random(17);
            var mentors = Enumerable.Range(0, mentorCount).Select(i => new PreparedMentor(SyntheticData.Mentor(random, $"m{i:D5}") with
                { ActiveMentees = 0, PendingProposals = 0, Capacity = scarce ? 1 : 1 + i % 3 }, week)).ToArray();
            var cohort = Enumerable.Range(0, learners).Select(i =>
            {
                var learner = SyntheticData.Learner(random, $"c{i:D5}");
                var (goals, text) = SyntheticData.Goals(random, learner);
                return new MatchRequest(learner, goals, text);
            }).ToList();
            CohortAssignment.Assign(cohort.Take(20).ToList(), mentors, model, week); // warm-up (columns built, code compiled)
            foreach (var (name, run) in new (string, Func<IReadOnlyList<CohortMatch>>)[]
                     {
                         ("optimal (min-cost flow)", () => CohortAssignment.Assign(cohort, mentors, model, week)),
                         ("optimal, fairness 1", () => CohortAssignment.Assign(cohort, mentors, model, week, fairness: 1)),
                         ("greedy in order of arrival", () => CohortAssignment.Greedy(cohort, mentors, model, week)),
                     })
            {
                // The median of three runs (greedy, slow and only a comparison, once): the first run of a size still pays for tiered compilation.
                var times = new List<double>();
                IReadOnlyList<CohortMatch> result = [];
                for (var attempt = 0; attempt < (name.StartsWith("greedy", StringComparison.Ordinal) ? 1 : 3); attempt++)
                {
                    var watch = Stopwatch.StartNew();
                    result = run();
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }
                var ms = times.Order().ElementAt(times.Count / 2);
                var assigned = result.Where(r => r.MentorId is not null).ToList();
                var places = mentors.Select(m => (double)assigned.Count(a => a.MentorId == m.Profile.Id)).Order().ToArray();
                Console.WriteLine($"| {learners:N0} x {mentorCount:N0}{(scarce ? ", one place each" : "")} | {name} | {ms:0} ms | {assigned.Count:N0} | {assigned.Sum(a => a.Score):N0} | {(assigned.Count == 0 ? 0 : assigned.Average(a => a.Score)):0.0} | {Evaluation.Gini(places):0.000} |");
            }
        }
    }

    /// <summary>
    /// The learning curve: models trained on the first n requests of one synthetic world (seed 42), judged with the
    /// rules on 500 requests of another (seed 77): how many outcomes before the model beats the rules.
    /// </summary>
    public static void Curve()
    {
        var week = SyntheticData.StudyWeek;
        TrainingData World(int learners, int seed) => SyntheticData.Generate(new SyntheticData.Options(Learners: learners, Seed: seed), week);
        var train = World(4000, 42).Examples(week);
        var judged = World(500, 77);
        var heldOut = judged.Examples(week);
        var pool = judged.Mentors.Values.Select(m => new PreparedMentor(m, week)).ToList();
        var rules = Evaluation.Measure(new RuleScorer(), heldOut, pool, week);
        Console.WriteLine($"curve: judged on {heldOut.Count} requests of another world; rules NDCG@5 {rules.Ndcg5:0.000}, AUC {rules.Auc:0.000}");
        Console.WriteLine("| requests trained on | outcomes | model NDCG@5 | vs rules | model AUC | vs rules |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var n in new[] { 50, 100, 250, 500, 1000, 2000, 4000 })
        {
            var rows = train.Take(n).SelectMany(e => e.Pairs.Select(p => p.Row)).ToList();
            var ml = new Microsoft.ML.MLContext(7);
            var transformer = MlNetTrees.Train(ml, rows, new MlNetTrees.TrainingOptions());
            var model = MlNetTrees.ToTreeModel($"n{n}", transformer, MlNetTrees.Means(rows));
            var m = Evaluation.Measure(model, heldOut, pool, week);
            Console.WriteLine($"| {n:N0} | {rows.Count:N0} | {m.Ndcg5:0.000} | {m.Ndcg5 - rules.Ndcg5:+0.000;-0.000} | {m.Auc:0.000} | {m.Auc - rules.Auc:+0.000;-0.000} |");
        }
    }

    /// <summary>Features that generalise (GeneralisationStudy): the three synthetic worlds, NDCG@5 as a share of the oracle's at 250, 1,000 and 4,000 requests.</summary>
    public static void Generalise()
    {
        var watch = Stopwatch.StartNew();
        Console.WriteLine("| world | requests trained on | outcomes | settings chosen by validation | model | with the former settings (80 x 16) | model, 12 hand-made features | rules |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var world in new[] { 1, 2, 3 })
            foreach (var r in GeneralisationStudy.Run(world, GeneralisationStudy.Sizes))
                Console.WriteLine($"| {r.World} | {r.Requests:N0} | {r.Outcomes:N0} | {r.Settings} | {r.Model:0.000} | {r.Defaults:0.000} | {r.HandMadeOnly:0.000} | {r.Rules:0.000} |");
        Console.WriteLine();
        Console.WriteLine("| world | settings | share of the oracle at 1,000 requests, by the true chances |");
        Console.WriteLine("|---|---|---|");
        foreach (var world in new[] { 1, 2, 3 })
            foreach (var (s, share) in GeneralisationStudy.Grid(world, 1000))
                Console.WriteLine($"| {world} | {s.Trees} x {s.Leaves} leaves, min {s.MinimumExamplesPerLeaf}, rate {s.LearningRate} | {share:0.000} |");
        Console.WriteLine($"generalise: {watch.Elapsed.TotalSeconds:0.0} s; judged on 500 requests of another draw (seed 77) by their true chances");
    }

    /// <summary>Two-sided scores on the world where mentors decline with reasons (TwoSidedStudy): 4,000 requests, the last 800 judged.</summary>
    public static void TwoSided()
    {
        var folder = Directory.CreateTempSubdirectory("twosided").FullName;
        var watch = Stopwatch.StartNew();
        var seeds = new[] { 42, 43, 44 };
        var runs = seeds.Select(seed => TwoSidedStudy.Run(800, 4000, seed, folder)).ToList();
        Console.WriteLine($"twosided: {watch.Elapsed.TotalSeconds:0.0} s; per world (seeds {string.Join(", ", seeds)}), judged on the last 800 of 4,000 requests (12 shown each) by their true chances; mean and [min, max] over the worlds");
        Console.WriteLine("| scorer | sides (seed 42) | NDCG@5 / oracle | worked per 100 first offers | declined for distance or language | declined, any reason |");
        Console.WriteLine("|---|---|---|---|---|---|");
        string Cell(IEnumerable<double> v, string format) => $"{v.Average().ToString(format)} [{v.Min().ToString(format)}, {v.Max().ToString(format)}]";
        for (var i = 0; i < runs[0].Count; i++)
        {
            var same = runs.Select(r => r[i]).ToList();
            Console.WriteLine($"| {same[0].Scorer} | {same[0].Sides} | {Cell(same.Select(r => r.OracleShare), "0.000")} | {Cell(same.Select(r => r.WorkedPer100), "0.0")} | {Cell(same.Select(r => r.FarOrLanguagePer100), "0.0")} | {Cell(same.Select(r => r.DeclinedPer100), "0.0")} |");
        }
        Directory.Delete(folder, true);
    }

    /// <summary>Load spread against NDCG@5 for several weights: the shipped model on a synthetic world it was not trained on (seed 43).</summary>
    public static void Spread(string modelPath)
    {
        var week = SyntheticData.StudyWeek;
        var data = SyntheticData.Generate(new SyntheticData.Options(Seed: 43), week);
        var requests = data.Examples(week).Take(600).ToList();
        var pool = data.Mentors.Values.Select(m => new PreparedMentor(m, week)).ToList();
        var model = FlatModelFile.ReadFile(modelPath);
        Console.WriteLine($"spread: {requests.Count} requests in order, {pool.Count} mentors; top-5 proposals against the whole pool");
        Console.WriteLine("| weight | NDCG@5 (labelled pairs) | vs weight 0 | DCG@5 of the proposals, true chances | vs weight 0 | Gini of proposals | over mentors eligible at least once | the same, per place | top mentor's share |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        Evaluation.SpreadRow? baseline = null;
        foreach (var row in Evaluation.Spread(model, requests, pool, week, [0, 0.02, 0.05, 0.07, 0.08, 0.1, 0.15, 0.2, 0.5, 1, 2],
                     (request, f) => SyntheticData.Truth(request, f, null)))
        {
            baseline ??= row;
            Console.WriteLine($"| {row.Weight} | {row.Ndcg5:0.000} | {Change(row.Ndcg5, baseline.Ndcg5)} | {row.TrueDcg5:0.000} | {Change(row.TrueDcg5!.Value, baseline.TrueDcg5!.Value)} | " +
                $"{row.ProposalGini:0.000} | {row.EligibleGini:0.000} | {row.PerPlaceGini:0.000} | {row.TopMentorShare:0.000} |");
        }
        static string Change(double value, double reference) => $"{(value / reference - 1) * 100:+0.0;-0.0;0.0}%";
    }

    public static void Engine(string modelPath)
    {
        var week = WeeklyTime.WeekStart(DateTimeOffset.UtcNow);
        var random = new Random(3);
        var loads = new List<double>();
        TreeModel? model = null;
        for (var i = 0; i < 20; i++)
        {
            var t = Stopwatch.GetTimestamp();
            model = FlatModelFile.ReadFile(modelPath);
            loads.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        Console.WriteLine($"model: {model!.Name}, {model.Trees} trees");
        Console.WriteLine($"model loads in order (ms): {string.Join(", ", loads.Select(l => l.ToString("0.0")))}");
        Scenarios.Report("model load, the flat file as serving reads it (ms)", loads);
        Console.WriteLine($"ML.NET loaded by serving: {AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal))}");

        var prepareWatch = Stopwatch.StartNew();
        var mentors = Enumerable.Range(0, 10_000).Select(i => new PreparedMentor(SyntheticData.Mentor(random, $"m{i:D5}"), week)).ToList();
        Console.WriteLine($"engine: prepared 10,000 mentors (snapshot build) in {prepareWatch.Elapsed.TotalMilliseconds:0} ms");
        var requests = Enumerable.Range(0, 300).Select(i =>
        {
            var learner = SyntheticData.Learner(random, $"l{i:D5}");
            var (goals, text) = SyntheticData.Goals(random, learner);
            return new MatchRequest(learner, goals, text);
        }).ToList();

        foreach (var scorer in new IPairScorer[] { model, new RuleScorer() })
        {
            for (var i = 0; i < 20; i++) Matcher.Match(requests[i], mentors, scorer, 5, week); // warm-up
            var times = new List<double>();
            var candidates = 0L;
            foreach (var request in requests)
            {
                var t = Stopwatch.GetTimestamp();
                var result = Matcher.Match(request, mentors, scorer, 5, week);
                times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                candidates += result.CandidatesScored;
            }
            Console.WriteLine($"engine: {scorer.Name}: {candidates / requests.Count} candidates per request pass the filters on average");
            Scenarios.Report($"one request vs 10,000 mentors, filter+features+{scorer.Name}+top-5 with explanations (ms)", times);
        }

        // How one request grows with the pool: 1,000, 10,000 and 100,000 mentors (the columns built once per snapshot).
        var more = mentors.Concat(Enumerable.Range(10_000, 90_000).Select(i => new PreparedMentor(SyntheticData.Mentor(random, $"m{i:D6}"), week))).ToList();
        foreach (var size in new[] { 1_000, 10_000, 100_000 })
        {
            var pool = more.Take(size).ToArray();
            var build = Stopwatch.GetTimestamp();
            MentorColumns.For(pool);
            var buildMs = Stopwatch.GetElapsedTime(build).TotalMilliseconds;
            for (var i = 0; i < 10; i++) Matcher.Match(requests[i], pool, model, 5, week);
            var times = new List<double>();
            foreach (var request in requests)
            {
                var t = Stopwatch.GetTimestamp();
                Matcher.Match(request, pool, model, 5, week);
                times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
            // One mentor's load changes (an offer, an answer): the next snapshot's columns are the previous ones with that row rewritten.
            var patched = pool.ToArray();
            patched[size / 2] = new PreparedMentor(pool[size / 2].Profile with { PendingProposals = pool[size / 2].Profile.PendingProposals + 1 }, week);
            var update = Stopwatch.GetTimestamp();
            MentorColumns.Update(pool, patched, [size / 2]);
            var updateMs = Stopwatch.GetElapsedTime(update).TotalMilliseconds;
            Scenarios.Report($"one request vs {size:N0} mentors, {model.Name} (columns built in {buildMs:0} ms, one row changed in {updateMs:0.0} ms) (ms)", times);
        }

        // Where one request's time goes at 100,000 mentors: the pass (filters and features), the scoring, the rest (top 5, explanations).
        {
            var pool = more.ToArray();
            var columns = MentorColumns.For(pool);
            var buffers = MentorColumns.Rent(pool.Length);
            var scores = new float[pool.Length];
            var (passMs, scoreMs) = (new List<double>(), new List<double>());
            Span<int> counts = stackalloc int[MentorColumns.Reasons];
            foreach (var request in requests)
            {
                var learner = new PreparedLearner(request.Learner, week);
                var t = Stopwatch.GetTimestamp();
                var n = columns.Pass(request, learner, null, buffers.Features, buffers.Candidates, counts);
                passMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                t = Stopwatch.GetTimestamp();
                model.Score(buffers.Features.AsSpan(0, n * PairFeatures.Count), scores.AsSpan(0, n));
                scoreMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
            MentorColumns.Return(buffers);
            Scenarios.Report("100,000 mentors: the pass alone, filters and features (ms)", passMs);
            Scenarios.Report($"100,000 mentors: scoring alone, {model.Name} (ms)", scoreMs);
        }

        // The same with load spread on (every proposal counted, so the penalty is looked up for each candidate).
        var spread = new LoadSpread(LoadSpread.DefaultWeight, TimeProvider.System);
        foreach (var request in requests.Take(20)) spread.Proposed(Matcher.Match(request, mentors, model, 5, week, spread: spread).Proposals.Select(p => p.MentorId));
        var spreadTimes = new List<double>();
        foreach (var request in requests)
        {
            var t = Stopwatch.GetTimestamp();
            spread.Proposed(Matcher.Match(request, mentors, model, 5, week, spread: spread).Proposals.Select(p => p.MentorId));
            spreadTimes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        Scenarios.Report($"one request vs 10,000 mentors, {model.Name} with load spread {LoadSpread.DefaultWeight} (ms)", spreadTimes);

        // Two-sided (issue 11): a model of the same size trained on the world where mentors decline, its acceptance side
        // walked on the same keys; measured in turns with the one-sided model, request by request, so both see the same machine.
        var folder = Directory.CreateTempSubdirectory("engine-two-sided").FullName;
        var twoRows = SyntheticData.Generate(new SyntheticData.Options(Learners: 1500, Declines: true), week).Examples(week).SelectMany(e => e.Pairs.Select(p => p.Row)).ToList();
        MlNetTrees.TrainAndWrite(twoRows, folder, "two", new MlNetTrees.TrainingOptions());
        var twoSided = FlatModelFile.ReadFile(Path.Combine(folder, "two.zip"));
        Directory.Delete(folder, true);
        var twoSpread = new LoadSpread(LoadSpread.DefaultWeight, TimeProvider.System);
        var (oneTimes, twoTimes, twoSpreadTimes) = (new List<double>(), new List<double>(), new List<double>());
        for (var round = -1; round < 3; round++) // round -1 warms up
            foreach (var request in requests)
            {
                var t = Stopwatch.GetTimestamp();
                Matcher.Match(request, mentors, model, 5, week);
                if (round >= 0) oneTimes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                t = Stopwatch.GetTimestamp();
                Matcher.Match(request, mentors, twoSided, 5, week);
                if (round >= 0) twoTimes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                t = Stopwatch.GetTimestamp();
                twoSpread.Proposed(Matcher.Match(request, mentors, twoSided, 5, week, spread: twoSpread).Proposals.Select(p => p.MentorId));
                if (round >= 0) twoSpreadTimes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        Console.WriteLine($"two-sided model: {twoSided.Trees} + {twoSided.Acceptance?.Trees} trees");
        Scenarios.Report($"in turns, one request vs 10,000 mentors, one-sided {model.Name} (ms)", oneTimes);
        Scenarios.Report("in turns, one request vs 10,000 mentors, two-sided (ms)", twoTimes);
        Scenarios.Report($"in turns, one request vs 10,000 mentors, two-sided with load spread {LoadSpread.DefaultWeight} (ms)", twoSpreadTimes);
        Console.WriteLine($"two-sided with load spread / one-sided, p50: {twoSpreadTimes[twoSpreadTimes.Count / 2] / oneTimes[oneTimes.Count / 2]:0.00}x (two-sided alone {twoTimes[twoTimes.Count / 2] / oneTimes[oneTimes.Count / 2]:0.00}x; p50s {oneTimes[oneTimes.Count / 2]:0.00}, {twoTimes[twoTimes.Count / 2]:0.00}, {twoSpreadTimes[twoSpreadTimes.Count / 2]:0.00} ms)");

        var cohortMentors = mentors.Take(1000).ToList();
        var cohort = Enumerable.Range(0, 1000).Select(i => requests[i % requests.Count] with { Learner = SyntheticData.Learner(random, $"c{i:D5}") }).ToList();
        CohortScoring.Score(cohort.Take(50).ToList(), cohortMentors, model, week); // warm-up
        var runs = new List<double>();
        var scored = 0;
        for (var run = 0; run < 5; run++)
        {
            var t = Stopwatch.GetTimestamp();
            var scores = CohortScoring.Score(cohort, cohortMentors, model, week);
            runs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            scored = scores.Count(s => s >= 0);
        }
        var best = runs.Min();
        Console.WriteLine($"cohort: 1,000 learners x 1,000 mentors ({scored:N0} pairs pass the filters, all 1,000,000 checked): " +
            $"median {runs.Order().ElementAt(2):0} ms, best {best:0} ms; {1_000_000 / (runs.Order().ElementAt(2) / 1000):N0} pairs/s checked, " +
            $"{scored / (runs.Order().ElementAt(2) / 1000):N0} pairs/s featurized and scored, {Environment.ProcessorCount} cores");
    }
}

/// <summary>Request accepted over HTTP to proposals stored, in local mode, with 10,000 mentors in Table Storage.</summary>
internal static class RequestScenarios
{
    private static async Task SeedMentorsAsync(Matching.FunctionalTests.Infrastructure.Azurite azurite, int mentors)
    {
        var table = new Azure.Data.Tables.TableClient(azurite.ConnectionString, Matching.Mentoring.MentorDirectory.Table);
        await table.CreateIfNotExistsAsync();
        var seed = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, mentors), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var profile = SyntheticData.Mentor(new Random(i), $"{i:D32}") with { Capacity = 50, ActiveMentees = 0 };
            var record = new Matching.Mentoring.MentorRecord(profile, $"Mentor {i}", $"mentor{i}@example.org", null, DateTimeOffset.UtcNow);
            await table.AddEntityAsync(Matching.Mentoring.MentorDirectory.ToEntity(record), ct);
        });
        Console.WriteLine($"seeded {mentors} mentors in {seed.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Seeds the mentors, starts the app as its own process and gives an NGO's client to it.</summary>
    private static async Task<Started> StartWithMentorsAsync(string appDll, Matching.FunctionalTests.Infrastructure.Azurite azurite, int mentors)
    {
        await SeedMentorsAsync(azurite, mentors);
        var port = AppProcess.FreePort();
        var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
        var http = await AppProcess.ReadyClientAsync(port);
        http.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("ngo", "bench-ngo"));
        return new Started(app, http);
    }

    private sealed record Started(AppProcess App, HttpClient Http) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await App.DisposeAsync();
        }
    }

    public static async Task RequestsAsync(string appDll, Matching.FunctionalTests.Infrastructure.Azurite azurite, int mentors = 10_000, int requests = 100)
    {
        var random = new Random(5);
        await using var app = await StartWithMentorsAsync(appDll, azurite, mentors);
        var http = app.Http;
        var latencies = new List<double>();
        for (var i = -5; i < requests; i++) // five warm-up requests: the first loads the mentor snapshot
        {
            var learner = SyntheticData.Learner(random, "x");
            var (goals, text) = SyntheticData.Goals(random, learner);
            var created = await http.PostAsJsonAsync("/api/learners", new { displayName = "Learner" });
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            (await http.PutAsJsonAsync($"/api/learners/{id}/profile", new Matching.Mentoring.LearnerProfileInput(learner.Languages, learner.Availability, learner.Modes,
                learner.TargetOccupation, learner.TargetSector, learner.TargetRome, learner.Place), TrainingData.Json)).EnsureSuccessStatusCode();
            var accepted = await http.PostAsJsonAsync("/api/mentor-requests", new { learnerId = id, goals, goalText = text }, TrainingData.Json);
            accepted.EnsureSuccessStatusCode();
            JsonElement view;
            do
            {
                await Task.Delay(10);
                view = await http.GetFromJsonAsync<JsonElement>(accepted.Headers.Location);
            } while (view.GetProperty("status").GetString() == "queued");
            if (i >= 0) latencies.Add((view.GetProperty("updatedAt").GetDateTimeOffset() - view.GetProperty("createdAt").GetDateTimeOffset()).TotalMilliseconds);
        }
        Scenarios.Report($"mentor request accepted to proposals stored, {mentors} mentors, local mode (ms)", latencies);
    }

    /// <summary>
    /// The app's peak working set (VmHWM) with 10,000 mentors loaded and the model warm, under 50 requests a second
    /// of mixed traffic for 30 s, sent open-loop: 40% offer browsing, 20% health, 20% reading a request, 20% new
    /// mentor requests (each scored against the 10,000).
    /// </summary>
    public static async Task MemoryAsync(string appDll, Matching.FunctionalTests.Infrastructure.Azurite azurite, int mentors = 10_000, int seconds = 30, int rate = 50)
    {
        var random = new Random(8);
        await using var started = await StartWithMentorsAsync(appDll, azurite, mentors);
        var (app, http) = (started.App, started.Http);
        var learners = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var total = seconds * rate / 5 + 10;
        await Parallel.ForEachAsync(Enumerable.Range(0, total), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var learner = SyntheticData.Learner(new Random(i), "x");
            var id = (await (await http.PostAsJsonAsync("/api/learners", new { displayName = "Learner" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            (await http.PutAsJsonAsync($"/api/learners/{id}/profile", new Matching.Mentoring.LearnerProfileInput(learner.Languages, learner.Availability, learner.Modes,
                learner.TargetOccupation, learner.TargetSector, learner.TargetRome, learner.Place), TrainingData.Json)).EnsureSuccessStatusCode();
            learners.Enqueue(id);
        });
        var requestUris = new System.Collections.Concurrent.ConcurrentBag<Uri>();
        async Task NewRequestAsync()
        {
            if (!learners.TryDequeue(out var id)) return;
            var learner = SyntheticData.Learner(random, "x");
            var (goals, text) = SyntheticData.Goals(new Random(id.GetHashCode()), learner);
            var accepted = await http.PostAsJsonAsync("/api/mentor-requests", new { learnerId = id, goals, goalText = text }, TrainingData.Json);
            if (accepted.Headers.Location is { } uri) requestUris.Add(uri);
        }
        await NewRequestAsync(); // the first scoring loads the snapshot and the model
        await Task.Delay(1000);
        Console.WriteLine($"memory: after warm-up, working set {app.WorkingSetMiB():0} MiB, peak {app.PeakWorkingSetMiB():0} MiB");
        var failures = 0;
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < seconds * rate; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
            var kind = i % 10;
            inFlight.Add(Task.Run(async () =>
            {
                try
                {
                    if (kind < 4) (await http.GetAsync("/api/offers")).EnsureSuccessStatusCode();
                    else if (kind < 6) (await http.GetAsync("/api/health")).EnsureSuccessStatusCode();
                    else if (kind < 8 && requestUris.TryPeek(out var uri)) (await http.GetAsync(uri)).EnsureSuccessStatusCode();
                    else await NewRequestAsync();
                }
                catch (HttpRequestException) { Interlocked.Increment(ref failures); }
            }));
        }
        await Task.WhenAll(inFlight);
        Console.WriteLine($"memory: {seconds * rate} requests in {clock.Elapsed.TotalSeconds:0.0} s ({failures} failed); working set {app.WorkingSetMiB():0} MiB, " +
            $"peak working set {app.PeakWorkingSetMiB():0} MiB, {requestUris.Count} mentor requests scored against {mentors:N0} mentors");
    }
}
