using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring.Sessions;
using Matching.Notifications;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Benchmarks;

/// <summary>The budgets of notifications: event to mail handed to SMTP, a timer run of 10,000 reminders, webhooks under failure.</summary>
internal static class NotificationScenarios
{
    private static readonly object[] Slots = [new { day = "monday", start = "17:00:00", end = "21:00:00" }];

    /// <summary>
    /// The app as its own process over Azurite: 150 mentors, each chosen once, <paramref name="inFlight"/> choices in
    /// flight. Measured per choice: from the client sending the choice to the end of the mentor's mail's DATA at the
    /// SMTP server (same machine, same clock), an upper bound of event-to-SMTP. The server is <see cref="SmtpSink"/>
    /// (STARTTLS, login; it records and keeps nothing), or smtp4dev with <paramref name="smtp4dev"/>, whose own
    /// storing of each mail is slower than the app under load (its receipt times then measure it).
    /// </summary>
    public static async Task MailLatencyAsync(string appDll, Azurite azurite, int choices = 150, int inFlight = 10, bool smtp4dev = false)
    {
        await using var sink = new SmtpSink();
        await using var mail = smtp4dev ? await Smtp4dev.StartAsync() : null;
        var port = AppProcess.FreePort();
        var environment = mail is null ? sink.MailSettings : mail.MailSettings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        environment["Matching__LocalUrl"] = $"http://127.0.0.1:{port}";
        await using var app = AppProcess.Start(appDll, azurite, environment);
        using var ngo = await AppProcess.ReadyClientAsync(port);
        ngo.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("ngo", "bench-mail-ngo"));
        var languages = Languages(choices);
        var mentorEmail = new ConcurrentDictionary<string, string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, choices), new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (i, _) =>
        {
            using var client = new HttpClient { BaseAddress = ngo.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("mentor", "volunteers", $"mail-mentor-{i}"));
            var saved = await client.PutAsJsonAsync("/api/mentors/me", new
            {
                displayName = $"Mentor {i}", contactEmail = $"mentor{i}@bench.test", languages = new[] { new { language = languages[i], level = "native" } },
                expertise = new[] { "cvReview" }, modes = new[] { "video" }, availability = new { timeZone = "Europe/Paris", slots = Slots }, capacity = 2,
            });
            saved.EnsureSuccessStatusCode();
            mentorEmail[(await saved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!] = $"mentor{i}@bench.test";
        });
        var requests = await ProposedAsync(ngo, languages);
        await Task.Delay(2000); // the proposals' mails to nobody (no staff asked) are done; the queues are quiet

        var sent = new ConcurrentDictionary<string, DateTimeOffset>(); // the mentor's address, when the choice was sent
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = inFlight }, async (r, _) =>
        {
            var mentorId = r.GetProperty("proposals")[0].GetProperty("mentorId").GetString()!;
            var at = DateTimeOffset.UtcNow;
            var answer = await ngo.PostAsJsonAsync($"/api/mentor-requests/{r.GetProperty("id").GetString()}/choose", new { mentorId });
            if (answer.IsSuccessStatusCode) sent[mentorEmail[mentorId]] = at;
        });
        var received = new Dictionary<string, DateTimeOffset>();
        using var http = new HttpClient();
        for (var wait = Stopwatch.StartNew(); received.Count < sent.Count && wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(500))
        {
            if (mail is null)
            {
                foreach (var (to, at) in sink.Received) if (sent.ContainsKey(to)) received.TryAdd(to, at);
                continue;
            }
            var page = await http.GetFromJsonAsync<JsonElement>($"{mail.WebUrl}/api/messages?pageSize=1000");
            foreach (var m in page.GetProperty("results").EnumerateArray())
                foreach (var to in m.GetProperty("to").EnumerateArray())
                    if (sent.ContainsKey(to.GetString()!)) received.TryAdd(to.GetString()!, m.GetProperty("receivedDate").GetDateTimeOffset());
        }
        var latencies = received.Select(r => (r.Value - sent[r.Key]).TotalMilliseconds).ToList();
        Scenarios.Report($"mail: choice sent to the mentor's mail received by {(mail is null ? "the SMTP sink" : "smtp4dev")}, {sent.Count} choices, {inFlight} in flight (ms)", latencies);
        Console.WriteLine($"  {received.Count} of {sent.Count} mails received within 60 s; choices sent over {(sent.Values.Max() - sent.Values.Min()).TotalMilliseconds:0} ms, " +
            $"mails received over {(received.Values.Max() - received.Values.Min()).TotalMilliseconds:0} ms");
    }

    /// <summary>
    /// In this process, the app's services over Azurite: 10,000 confirmed sessions in 50 organisations, each with its
    /// reminder due now, then one run of the timer (each reminder checks its session, adds its notice to the outbox,
    /// and the notices are announced a hundred at a time). The managed heap is sampled during the run.
    /// </summary>
    public static async Task RemindersAsync(Azurite azurite, int count = 10_000)
    {
        var services = LifecycleScenarios.AppServicesFor(azurite);
        var tables = services.GetRequiredService<TableServiceClient>();
        await services.GetRequiredService<Matching.Storage.StorageProvisioner>().EnsureReadyAsync();
        var sessions = tables.GetTableClient(SessionBook.Table);
        var reminders = services.GetRequiredService<ReminderBook>();
        var now = DateTimeOffset.UtcNow;
        var start = now.AddHours(24).AddMinutes(-2); // the 24-hour reminder is due since two minutes
        static string Org(int i) => $"ngo-{i % 50:D2}";
        static string Id(int i, char kind) => $"{kind}{i:D31}"; // 32 hex digits, as ids are
        var seed = Stopwatch.StartNew();
        foreach (var group in Enumerable.Range(0, count).GroupBy(i => Org(i)))
            foreach (var chunk in group.Chunk(100))
                await sessions.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                    new TableEntity(Org(i), $"{Id(i, 'a')}|{Id(i, 'b')}")
                    {
                        ["MatchId"] = Id(i, 'a'), ["SessionId"] = Id(i, 'b'), ["Status"] = "Confirmed", ["Mode"] = "Video", ["Start"] = start, ["End"] = start.AddHours(1),
                    })));
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var notice = Notice.New(NoticeType.SessionConfirmed, Org(i), now) with
            {
                RequestId = Id(i, 'a'), SessionId = Id(i, 'b'), MentorId = Id(i, 'c'), LearnerId = Id(i, 'd'), When = start,
            };
            await reminders.AddAsync(notice, NoticeType.SessionReminder, start.AddHours(-24), "24h", ct);
        });
        Console.WriteLine($"reminders: seeded {count:N0} confirmed sessions and their due reminders in {seed.Elapsed.TotalSeconds:0} s");

        GC.Collect();
        var before = GC.GetTotalMemory(true);
        long peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested) { peak = Math.Max(peak, GC.GetTotalMemory(false)); await Task.Delay(50); }
        });
        var watch = Stopwatch.StartNew();
        await ActivatorUtilities.CreateInstance<SendReminders>(services).RunAsync(new(), CancellationToken.None);
        var elapsed = watch.Elapsed;
        sampling.Cancel();
        await sampler;
        var notices = 0;
        await foreach (var _ in sessions.QueryAsync<TableEntity>($"RowKey ge '{Outbox.KeyPrefix}' and RowKey lt '~notice}}'", select: ["RowKey"])) notices++;
        var left = 0;
        await foreach (var _ in tables.GetTableClient(ReminderBook.Table).QueryAsync<TableEntity>(select: ["RowKey"])) left++;
        Console.WriteLine($"timer SendReminders ({count:N0} due): {elapsed.TotalSeconds:0.0} s; {notices:N0} notices in the outbox, {left} reminders left; " +
            $"managed heap before {before / 1048576.0:0.0} MiB, peak during {peak / 1048576.0:0.0} MiB, after {GC.GetTotalMemory(false) / 1048576.0:0.0} MiB");
    }

    /// <summary>
    /// The app as its own process with 10 endpoints registered by one NGO (every event), one of which answers 503 to
    /// the first attempt at every event and 200 to the next; then 1,000 seat claims by that NGO, each telling it (and
    /// its endpoints) of the claim. Each receiver dedupes by webhook-id: per (event, endpoint), how many got through
    /// (lost: none; duplicated: more than one 2xx).
    /// </summary>
    public static async Task WebhooksAsync(string appDll, Azurite azurite, int events = 1000, int endpoints = 10)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = AppProcess.FreePort();
        await using var app = AppProcess.Start(appDll, azurite, new()
        {
            ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}", ["Notifications__RetryBaseSeconds"] = "1", ["Notifications__MaxAttempts"] = "8",
        });
        using var admin = await AppProcess.ReadyClientAsync(port);
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("admin", "bench-hooks-ngo"));
        for (var e = 0; e < endpoints; e++)
        {
            var hook = await (await admin.PostAsJsonAsync("/api/webhooks", new { url = receiver.Url($"e{e}"), events = new[] { "*" } })).Content.ReadFromJsonAsync<JsonElement>();
            receiver.Secret($"e{e}", hook.GetProperty("secret").GetString()!);
        }
        receiver.Answer("e0", attempt => attempt == 1 ? 503 : 200);

        using var provider = new HttpClient { BaseAddress = admin.BaseAddress };
        provider.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("provider", "bench-hooks-provider"));
        var offer = await (await provider.PostAsJsonAsync("/api/offers", OfferScenarios.Offer(events * 2))).Content.ReadFromJsonAsync<JsonElement>();
        var offerId = offer.GetProperty("id").GetString()!;
        (await provider.PostAsync($"/api/offers/{offerId}/open", null)).EnsureSuccessStatusCode();
        using var ngo = new HttpClient { BaseAddress = admin.BaseAddress };
        ngo.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("ngo", "bench-hooks-ngo"));
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/offers/{offerId}/claims") { Content = JsonContent.Create(new { seats = 1 }) };
            request.Headers.Add("Idempotency-Key", $"hook-{i}");
            (await ngo.SendAsync(request)).EnsureSuccessStatusCode();
        });
        var expected = events * endpoints;
        int Delivered() => Enumerable.Range(0, endpoints).Sum(e => receiver.For($"e{e}").Where(r => r.Answered < 300).Select(r => r.WebhookId).Distinct().Count());
        while (Delivered() < expected && watch.Elapsed < TimeSpan.FromMinutes(10)) await Task.Delay(500);
        var elapsed = watch.Elapsed;
        await Task.Delay(3000); // anything late would show as a duplicate
        var lost = 0; var duplicated = 0; var badSignatures = 0; var attempts = 0;
        for (var e = 0; e < endpoints; e++)
        {
            var got = receiver.For($"e{e}");
            attempts += got.Count;
            badSignatures += got.Count(r => !r.SignatureValid);
            var ok = got.Where(r => r.Answered < 300).GroupBy(r => r.WebhookId).ToList();
            lost += events - ok.Count;
            duplicated += ok.Sum(g => g.Count() - 1);
        }
        Console.WriteLine($"webhooks: {events:N0} events to {endpoints} endpoints (one failing every first attempt): {expected - lost:N0} of {expected:N0} delivered in " +
            $"{elapsed.TotalSeconds:0.0} s, lost {lost}, duplicated {duplicated}, bad signatures {badSignatures}, {attempts:N0} attempts in all");
    }

    private static string[] Languages(int n)
    {
        var codes = Enumerable.Range('a', 26).SelectMany(a => Enumerable.Range('a', 26).Select(b => $"{(char)a}{(char)b}"))
            .Where(c => Matching.Engine.IsoLanguages.IsValid(c) && c is not ("fr" or "en")).Take(n).ToArray();
        if (codes.Length < n) throw new InvalidOperationException($"Only {codes.Length} languages for {n} pairs.");
        return codes;
    }

    /// <summary>One learner per language, each asking for a mentor; waits for the proposals.</summary>
    private static async Task<List<JsonElement>> ProposedAsync(HttpClient ngo, string[] languages)
    {
        var requests = new ConcurrentBag<JsonElement>();
        await Parallel.ForEachAsync(languages, new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (language, _) =>
        {
            var id = (await (await ngo.PostAsJsonAsync("/api/learners", new { displayName = "L" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            (await ngo.PutAsJsonAsync($"/api/learners/{id}/profile", new
            {
                languages = new[] { new { language, level = "b2" } }, availability = new { timeZone = "Europe/Paris", slots = Slots }, modes = new[] { "video" },
            })).EnsureSuccessStatusCode();
            var accepted = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = id, goals = new[] { "cvReview" } });
            accepted.EnsureSuccessStatusCode();
            JsonElement view;
            do { await Task.Delay(20); view = await ngo.GetFromJsonAsync<JsonElement>(accepted.Headers.Location); }
            while (view.GetProperty("status").GetString() == "queued");
            if (view.GetProperty("status").GetString() == "proposed") requests.Add(view);
        });
        return requests.ToList();
    }

    /// <summary>
    /// What the outbox adds to a transition, storage only, one call at a time against Azurite: the request's write as a
    /// plain conditional update, as the transaction with one notice row, and the announcement (one queue message).
    /// </summary>
    public static async Task OutboxCostAsync(Azurite azurite, int n = 500)
    {
        var table = new TableClient(azurite.ConnectionString, "outboxcost");
        await table.CreateIfNotExistsAsync();
        var queue = new Azure.Storage.Queues.QueueClient(azurite.ConnectionString, "outboxcost");
        await queue.CreateIfNotExistsAsync();
        var row = new TableEntity("org", "request") { ["History"] = new string('x', 2000), ["Status"] = "Offered" };
        row.ETag = (await table.UpsertEntityAsync(row)).Headers.ETag!.Value;
        var update = new List<double>(); var transaction = new List<double>(); var message = new List<double>();
        for (var i = 0; i < n + 50; i++)
        {
            var t = Stopwatch.GetTimestamp();
            row.ETag = (await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace)).Headers.ETag!.Value;
            if (i >= 50) update.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            t = Stopwatch.GetTimestamp();
            var notice = Notice.New(NoticeType.OfferAccepted, "org", DateTimeOffset.UtcNow) with { RequestId = "request" };
            var result = await table.SubmitTransactionAsync([new(TableTransactionActionType.UpdateReplace, row, row.ETag), new(TableTransactionActionType.Add, Outbox.Row("org", notice))]);
            row.ETag = result.Value[0].Headers.ETag!.Value;
            if (i >= 50) transaction.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            t = Stopwatch.GetTimestamp();
            await queue.SendMessageAsync("{\"table\":\"mentorrequests\",\"partition\":\"org\",\"ids\":[\"" + notice.Id + "\"]}");
            if (i >= 50) message.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        Scenarios.Report("outbox cost: the request's conditional update alone (ms)", update);
        Scenarios.Report("outbox cost: the same update with one notice row, one transaction (ms)", transaction);
        Scenarios.Report("outbox cost: the announcement, one queue message (ms)", message);
    }
}
