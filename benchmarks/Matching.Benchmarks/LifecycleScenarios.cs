using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring;
using Matching.Engine;
using Matching.Training;
using Matching.Mentoring.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Benchmarks;

/// <summary>The mentoring lifecycle: choose, accept and decline under 50 concurrent callers; the timers over a large
/// store; the training export of 100,000 outcome rows.</summary>
internal static class LifecycleScenarios
{
    /// <summary>
    /// The app as its own process over HTTP: 60 mentors in pairs sharing one of 30 languages, 300 learners spread over
    /// those languages (so each mentor is chosen by about five learners, as when a cohort arrives), then choices,
    /// accepts and declines, 50 calls in flight at any time.
    /// </summary>
    public static async Task TransitionsAsync(string appDll, Azurite azurite, int callers = 50, int warmUp = 100)
    {
        var port = AppProcess.FreePort();
        await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
        using var ngo = await AppProcess.ReadyClientAsync(port);
        ngo.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("ngo", "bench-ngo"));
        var mentors = new ConcurrentDictionary<string, HttpClient>();
        var slots = new[] { new { day = "monday", start = "17:00:00", end = "21:00:00" } };
        string[] languages = ["aa", "ab", "af", "ak", "am", "an", "as", "av", "ay", "az", "ba", "be", "bg", "bm", "bn", "bo", "br", "bs", "ca", "ce",
            "co", "cr", "cs", "cu", "cv", "cy", "da", "dz", "ee", "eo"];
        await Parallel.ForEachAsync(Enumerable.Range(0, 60), new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (i, _) =>
        {
            var client = new HttpClient { BaseAddress = ngo.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("mentor", "volunteers", $"mentor-{i}"));
            var saved = await client.PutAsJsonAsync("/api/mentors/me", new
            {
                displayName = $"Mentor {i}", contactEmail = $"mentor{i}@example.org", languages = new[] { new { language = languages[i % 30], level = "native" } },
                expertise = new[] { "cvReview" }, modes = new[] { "video" }, availability = new { timeZone = "Europe/Paris", slots }, capacity = 10,
            });
            saved.EnsureSuccessStatusCode();
            mentors[(await saved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!] = client;
        });
        var requests = new ConcurrentBag<JsonElement>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 300 + warmUp), new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (i, _) =>
        {
            var id = (await (await ngo.PostAsJsonAsync("/api/learners", new { displayName = "L" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            (await ngo.PutAsJsonAsync($"/api/learners/{id}/profile", new
            {
                languages = new[] { new { language = languages[i % 30], level = "b2" } }, availability = new { timeZone = "Europe/Paris", slots }, modes = new[] { "video" },
            })).EnsureSuccessStatusCode();
            var accepted = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = id, goals = new[] { "cvReview" } });
            accepted.EnsureSuccessStatusCode();
            JsonElement view;
            do { await Task.Delay(20); view = await ngo.GetFromJsonAsync<JsonElement>(accepted.Headers.Location); }
            while (view.GetProperty("status").GetString() == "queued");
            requests.Add(view);
        });
        Console.WriteLine($"transitions: {mentors.Count} mentors, {requests.Count} requests proposed");

        // The first `warmUp` requests go through the same calls unmeasured, so that what is measured is the app
        // in its steady state (its code compiled and tiered up), not its first minutes.
        var all = requests.ToList();
        if (warmUp > 0) await RunAsync(all.Take(warmUp).ToList(), callers, mentors, ngo);
        var (choose, accept, decline) = await RunAsync(all.Skip(warmUp).ToList(), callers, mentors, ngo);
        Scenarios.Report($"choose, {callers} concurrent callers (ms)", choose.Latencies);
        Console.WriteLine($"  {choose.Answers.Count(a => a.Status == 200)} offered, {choose.Answers.Count(a => a.Status == 409)} refused (mentor full)");
        Scenarios.Report($"accept, {callers} concurrent callers (ms)", accept.Latencies);
        Scenarios.Report($"decline (the next proposal offered in the same call), {callers} concurrent callers (ms)", decline.Latencies);
        var failures = accept.Answers.Concat(decline.Answers).Count(a => a.Status >= 400);
        Console.WriteLine($"  {accept.Answers.Count} accepts, {decline.Answers.Count} declines, {failures} failed");
    }

    private static async Task<(Timed Choose, Timed Accept, Timed Decline)> RunAsync(List<JsonElement> requests, int callers,
        ConcurrentDictionary<string, HttpClient> mentors, HttpClient ngo)
    {
        var choose = await TimedAsync(requests, callers, async r =>
            await ngo.PostAsJsonAsync($"/api/mentor-requests/{r.GetProperty("id").GetString()}/choose",
                new { mentorId = r.GetProperty("proposals")[Random.Shared.Next(r.GetProperty("proposals").GetArrayLength())].GetProperty("mentorId").GetString() }));
        var offered = choose.Answers.Where(a => a.Status == 200).Select(a => a.Body).ToList();

        var toAccept = offered.Where((_, i) => i % 3 != 0).ToList();
        var toDecline = offered.Where((_, i) => i % 3 == 0).ToList();
        var accept = await TimedAsync(toAccept, callers, async r =>
            await mentors[r.GetProperty("offer").GetProperty("mentorId").GetString()!].PostAsync($"/api/mentors/me/offers/{r.GetProperty("id").GetString()}/accept", null));
        var decline = await TimedAsync(toDecline, callers, async r =>
            await mentors[r.GetProperty("offer").GetProperty("mentorId").GetString()!].PostAsJsonAsync($"/api/mentors/me/offers/{r.GetProperty("id").GetString()}/decline",
                new { reason = "noTimeNow" }));
        return (choose, accept, decline);
    }

    private sealed record Timed(List<double> Latencies, List<(int Status, JsonElement Body)> Answers);

    private static async Task<Timed> TimedAsync(
        IEnumerable<JsonElement> items, int callers, Func<JsonElement, Task<HttpResponseMessage>> call)
    {
        var latencies = new ConcurrentBag<double>();
        var answers = new ConcurrentBag<(int, JsonElement)>();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = callers }, async (item, _) =>
        {
            var t = Stopwatch.GetTimestamp();
            using var response = await call(item);
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            var text = await response.Content.ReadAsStringAsync();
            answers.Add(((int)response.StatusCode, text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text).RootElement.Clone() : default));
        });
        return new(latencies.ToList(), answers.ToList());
    }

    /// <summary>
    /// The app's services in this process over Azurite. The timers read only what is due (a range query on the
    /// deadlines by time), so what is measured is a run over a deadlines table of 100,000 follow-up deadlines (one per
    /// match) of which 2,000 are due today, each due match with its 3 sessions; and the export of 20,000 ended
    /// requests with 5 proposals each (100,000 outcome rows), with the managed heap measured around each.
    /// </summary>
    public static async Task TimersAndExportAsync(Azurite azurite, int matches = 100_000, int due = 2_000, int ended = 20_000)
    {
        var services = AppServicesFor(azurite);
        var tables = services.GetRequiredService<TableServiceClient>();
        await services.GetRequiredService<Matching.Storage.StorageProvisioner>().EnsureReadyAsync();
        var requests = tables.GetTableClient(MentorRequests.Table);
        var sessions = tables.GetTableClient(SessionBook.Table);
        var deadlines = tables.GetTableClient(MentoringDeadlines.Table);
        var now = DateTimeOffset.UtcNow;
        var random = new Random(11);
        var mentorPool = Enumerable.Range(0, 500).Select(i => SyntheticData.Mentor(random, $"m{i:D5}") with { Bio = "Developer, CV and interviews." }).ToArray();
        var seed = Stopwatch.StartNew();
        static string Id(int i) => $"{i % 50:D2}{i / 50:D30}";
        static string Org(int i) => $"ngo-{i % 50:D2}";
        async Task Batches(TableClient table, IEnumerable<(string Partition, TableEntity Entity)> rows)
        {
            foreach (var group in rows.GroupBy(r => r.Partition))
                foreach (var chunk in group.Chunk(100))
                    await table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r.Entity)));
        }
        // The due matches: active for 29 days, their last session 6 days ago (so no alert is raised: the full check runs).
        var phase = Stopwatch.StartNew();
        await Batches(requests, Enumerable.Range(0, due).Select(i => (Org(i), new TableEntity(Org(i), Id(i))
        {
            ["LearnerId"] = $"{i:D32}", ["Goals"] = "[\"cvReview\"]", ["Status"] = "Matched", ["MentorId"] = mentorPool[i % 500].Id,
            ["CreatedAt"] = now.AddDays(-30), ["MatchedAt"] = now.AddDays(-29), ["UpdatedAt"] = now,
        })));
        await Batches(sessions, Enumerable.Range(0, due).SelectMany(i => Enumerable.Range(0, 3).Select(s => (Org(i), new TableEntity(Org(i), $"{Id(i)}|{s:D32}")
        {
            ["MatchId"] = Id(i), ["SessionId"] = $"{s:D32}", ["Status"] = "Confirmed", ["ProposedBy"] = "Mentor", ["Mode"] = "Video",
            ["Start"] = now.AddDays(-20 + s * 7), ["End"] = now.AddDays(-20 + s * 7).AddHours(1), ["Sequence"] = 0, ["CountedHeld"] = true,
        }))));
        Console.WriteLine($"  due matches and sessions: {phase.Elapsed.TotalSeconds:0} s"); phase.Restart();
        await Batches(deadlines, Enumerable.Range(0, matches).Select(i =>
        {
            var at = i < due ? now.AddMinutes(-1) : now.AddDays(1 + i % 21);
            var partition = MentoringDeadlines.PartitionOf(MentoringDeadlines.Kind.NoSession, at);
            return (partition, new TableEntity(partition, $"{at.UtcTicks:D19}|NoSession|{Id(i)}|")
            {
                ["Kind"] = "NoSession", ["Org"] = Org(i), ["RequestId"] = Id(i), ["At"] = at,
            });
        }));
        Console.WriteLine($"  deadlines: {phase.Elapsed.TotalSeconds:0} s"); phase.Restart();
        // The ended requests the export reads, each with its scoring round (the learner and 5 mentors as they were).
        await Batches(requests, Enumerable.Range(matches, ended).Select(i =>
        {
            var row = new TableEntity(Org(i), Id(i))
            {
                ["LearnerId"] = $"{i:D32}", ["Goals"] = "[\"cvReview\"]", ["Status"] = "Ended", ["MentorId"] = mentorPool[i % 500].Id, ["Outcome"] = "goalReachedJob",
                ["CreatedAt"] = now.AddDays(-60), ["MatchedAt"] = now.AddDays(-59), ["UpdatedAt"] = now, ["SessionsHeld"] = 2, ["RatingSum"] = 8, ["RatingCount"] = 2,
            };
            ScoringRounds.Add(new MentorRequestRow(row), SyntheticData.Learner(new Random(i), $"l{i}"), Enumerable.Range(0, 5).Select(k => mentorPool[(i + k) % 500]).ToList(), [1, 1, 1, 1, 1], "ml-v3", now.AddDays(-60));
            return (Org(i), row);
        }));
        Console.WriteLine($"timers: seeded {matches:N0} follow-up deadlines ({due:N0} due, with {due:N0} matches and {due * 3:N0} sessions) and {ended:N0} ended requests in {seed.Elapsed.TotalSeconds:0} s");

        foreach (var (name, run) in new (string, Func<Task>)[]
                 {
                     ($"RaiseFollowUpAlerts ({due:N0} due of {matches:N0})", () => ActivatorUtilities.CreateInstance<RaiseFollowUpAlerts>(services).RunAsync(new(), CancellationToken.None)),
                     ("ExpireMentoringDeadlines (nothing due)", () => ActivatorUtilities.CreateInstance<ExpireMentoringDeadlines>(services).RunAsync(new(), CancellationToken.None)),
                 })
        {
            GC.Collect();
            var before = GC.GetTotalMemory(true);
            var watch = Stopwatch.StartNew();
            await run();
            Console.WriteLine($"timer {name}: {watch.Elapsed.TotalSeconds:0.00} s, managed heap after vs before {(GC.GetTotalMemory(false) - before) / 1024.0 / 1024:0.0} MiB, peak working set {Environment.WorkingSet / 1024 / 1024} MiB");
        }

        GC.Collect();
        var exportWatch = Stopwatch.StartNew();
        var counter = new CountingStream();
        await services.GetRequiredService<TrainingExport>().WriteAsync(counter, CancellationToken.None);
        Console.WriteLine($"export: {counter.Lines:N0} lines ({counter.Outcomes:N0} outcome rows), {counter.Length / 1024.0 / 1024:0.0} MiB in {exportWatch.Elapsed.TotalSeconds:0.00} s");
    }

    /// <summary>
    /// The local stack's ceiling: point reads and upserts of a 2 KB row straight against Azurite, 3,000 of each at 1, 5
    /// and 50 in flight. A transition that needs k storage calls cannot go faster than this divided by k.
    /// </summary>
    public static async Task StorageCeilingAsync(Azurite azurite)
    {
        var table = new TableClient(azurite.ConnectionString, "ceiling");
        await table.CreateIfNotExistsAsync();
        var payload = new string('x', 2000);
        for (var i = 0; i < 100; i++) await table.UpsertEntityAsync(new TableEntity($"p{i % 10}", $"r{i}") { ["V"] = payload });
        foreach (var callers in new[] { 1, 5, 50 })
            foreach (var write in new[] { false, true })
            {
                const int n = 3000;
                var watch = Stopwatch.StartNew();
                await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = callers }, async (i, ct) =>
                {
                    if (write) await table.UpsertEntityAsync(new TableEntity($"p{i % 10}", $"w{i}") { ["V"] = payload }, cancellationToken: ct);
                    else await table.GetEntityAsync<TableEntity>($"p{i % 10}", $"r{i % 100}", cancellationToken: ct);
                });
                Console.WriteLine($"storage ceiling: {(write ? "upserts" : "point reads")}, {callers} in flight: {n / watch.Elapsed.TotalSeconds:0} a second");
            }
    }

    /// <summary>
    /// The abuse limits' cost per limited request, in this process over Azurite: 10 organisations each making 500
    /// attempts at the default claims limit (600 a minute), 10 in flight; most are answered from a block in memory.
    /// </summary>
    public static async Task LimitsAsync(Azurite azurite)
    {
        var services = AppServicesFor(azurite);
        await services.GetRequiredService<Matching.Storage.StorageProvisioner>().EnsureReadyAsync();
        var limits = services.GetRequiredService<Matching.Platform.AbuseLimits>();
        for (var i = 0; i < 200; i++) await limits.TakeAsync($"warm-{i % 4}", Matching.Platform.AbuseLimits.Operation.Claims, CancellationToken.None);
        var latencies = new ConcurrentBag<double>();
        var refused = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 5000), new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (i, ct) =>
        {
            var t = Stopwatch.GetTimestamp();
            if (await limits.TakeAsync($"org-{i % 10}", Matching.Platform.AbuseLimits.Operation.Claims, ct) is not null) Interlocked.Increment(ref refused);
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        });
        var list = latencies.ToList();
        Scenarios.Report("abuse limit per limited request, 10 organisations x 500 attempts, 10 in flight (ms)", list);
        Console.WriteLine($"  {list.Count(l => l >= 0.2)} of {list.Count} over 0.2 ms (those that went to storage for a block), {refused} refused");
    }

    internal static IServiceProvider AppServicesFor(Azurite azurite)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Auth:DevelopmentSigningKey"] = "benchmark-signing-key-for-the-lifecycle-runs",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddMatching(configuration, underFunctionsHost: false);
        return services.BuildServiceProvider();
    }

    /// <summary>Counts what the export writes, without keeping it.</summary>
    private sealed class CountingStream : Stream
    {
        public long Lines, Outcomes;
        private long _length;
        private int _match;
        private static readonly byte[] Outcome = "{\"kind\":\"outcome\""u8.ToArray();
        public override void Write(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, count));
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) { Count(buffer.Span); return ValueTask.CompletedTask; }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) { Count(buffer.AsSpan(offset, count)); return Task.CompletedTask; }

        private void Count(ReadOnlySpan<byte> bytes)
        {
            _length += bytes.Length;
            foreach (var b in bytes)
            {
                if (b == '\n') { Lines++; _match = 0; continue; }
                if (_match >= 0 && _match < Outcome.Length) _match = Outcome[_match] == b ? _match + 1 : -1;
                if (_match == Outcome.Length) { Outcomes++; _match = -1; }
            }
        }

        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
