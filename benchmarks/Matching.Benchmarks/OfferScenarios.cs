using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;
using Matching.Offers;

namespace Matching.Benchmarks;

internal static class OfferScenarios
{
    internal static object Offer(int seats, string format = "virtualClass", object? venue = null, string topic = "French", string language = "fr") => new
    {
        title = "Benchmark offer", topics = new[] { new { label = topic } }, languages = new[] { language }, format, totalSeats = seats, venue,
        claimOpensAt = DateTimeOffset.UtcNow.AddDays(-1), claimClosesAt = DateTimeOffset.UtcNow.AddDays(30),
    };

    /// <summary>
    /// 64 concurrent claimers on one offer ("1,000 free courses"), real Kestrel and Azurite, until <paramref name="operations"/>
    /// claims are answered (or <paramref name="seconds"/> pass); then the rows are checked for oversell.
    /// </summary>
    public static async Task ClaimsAsync(string appDll, Azurite azurite, int claimers = 64, int seconds = 60, int seats = 1000, int operations = 4000)
    {
        // --long: claim for the whole minute, to see the emulator slow down as one partition grows.
        if (Environment.GetCommandLineArgs().Contains("--long")) operations = int.MaxValue;
        var port = AppProcess.FreePort();
        await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
        using var provider = await AppProcess.ReadyClientAsync(port);
        provider.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("provider", "bench-provider"));
        var created = await provider.PostAsJsonAsync("/api/offers", Offer(seats));
        var offerId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        (await provider.PostAsync($"/api/offers/{offerId}/open", null)).EnsureSuccessStatusCode();

        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = claimers };
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var perWindow = new int[seconds / 5 + 2];
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var errors = 0;
        var started = 0;
        var stop = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, claimers).Select(async worker =>
        {
            using var ngo = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            ngo.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("ngo", $"bench-ngo-{worker % 20}"));
            var i = 0;
            while (stop.Elapsed < TimeSpan.FromSeconds(seconds) && Interlocked.Increment(ref started) <= operations)
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"/api/offers/{offerId}/claims") { Content = JsonContent.Create(new { seats = 1 + (i % 3) }) };
                request.Headers.Add("Idempotency-Key", $"w{worker}-{i++}");
                var t = Stopwatch.GetTimestamp();
                using var r = await ngo.SendAsync(request);
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                Interlocked.Increment(ref perWindow[(int)(stop.Elapsed.TotalSeconds / 5)]);
                if (!r.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                var status = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString()!;
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        }));
        var elapsed = stop.Elapsed.TotalSeconds;

        // Zero oversell, from the rows themselves.
        var table = new TableClient(azurite.ConnectionString, OfferRows.Table);
        int confirmed = 0, held = 0, claimsStored = 0;
        await foreach (var e in table.QueryAsync<TableEntity>(OfferRows.PrefixFilter(offerId, OfferRows.ClaimPrefix)))
        {
            claimsStored++;
            var s = e.GetString("Status");
            if (s == "Confirmed") confirmed += e.GetInt32("SeatsAllocated") ?? 0;
            if (s == "Held") held += e.GetInt32("SeatsAllocated") ?? 0;
        }
        Console.WriteLine($"claims: {latencies.Count} in {elapsed:0.0} s = {latencies.Count / elapsed:0} claims/s with {claimers} concurrent claimers; " +
            $"errors {errors}; outcomes {string.Join(", ", statuses.Select(kv => $"{kv.Key} {kv.Value}"))}");
        Console.WriteLine($"claims: stored {claimsStored} (answered {latencies.Count - errors}); seats confirmed {confirmed} + held {held} of {seats}: " +
            (confirmed + held <= seats ? "no oversell" : "OVERSOLD"));
        Console.WriteLine($"claims per 5 s window: {string.Join(", ", perWindow.Reverse().SkipWhile(n => n == 0).Reverse())}");
        Scenarios.Report("claim latency (ms)", latencies.ToList());
    }

    /// <summary>10,000 offers; pages of 20 with filters, measured at the HTTP client after a warm-up.</summary>
    public static async Task BrowseAsync(string appDll, Azurite azurite, int offers = 10_000, int queries = 600)
    {
        var seedWatch = Stopwatch.StartNew();
        var table = new TableClient(azurite.ConnectionString, OfferRows.Table);
        await table.CreateIfNotExistsAsync();
        var random = new Random(7);
        string[] topics = ["French", "Digital skills", "CV writing", "English", "Accounting", "Logistics"];
        string[] languages = ["fr", "en", "ar", "uk", "es"];
        var formats = Enum.GetValues<OfferFormat>();
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, offers), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var format = formats[i % formats.Length];
            var r = new Random(i);
            var details = new OfferDetails($"Offer {i}", [new OfferTopic(topics[i % topics.Length])], [languages[r.Next(languages.Length)]],
                format, 10 + r.Next(990), now.AddDays(-r.Next(30)), now.AddDays(1 + r.Next(60)),
                Venue: format == OfferFormat.InPerson ? new Venue("Somewhere", "75056", 43 + r.NextDouble() * 6, -1 + r.NextDouble() * 7) : null);
            var offer = new OfferState { Id = Guid.NewGuid().ToString("N"), ProviderOrg = $"p{i % 50}", Details = details, Status = OfferStatus.Open, CreatedAt = now.AddMinutes(-i), UpdatedAt = now };
            await table.AddEntityAsync(OfferRows.ToEntity(offer), ct);
        });
        Console.WriteLine($"browse: seeded {offers} offers in {seedWatch.Elapsed.TotalSeconds:0.0} s");

        var port = AppProcess.FreePort();
        await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
        using var http = await AppProcess.ReadyClientAsync(port);
        http.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("ngo", "bench-ngo"));
        var first = Stopwatch.StartNew();
        (await http.GetAsync("/api/offers")).EnsureSuccessStatusCode();
        Console.WriteLine($"browse: first page (loads the catalog of {offers} offers) {first.Elapsed.TotalMilliseconds:0} ms");

        string Query(int i) => (i % 5) switch
        {
            0 => $"/api/offers?topic={Uri.EscapeDataString(topics[i % topics.Length])}&language={languages[i % languages.Length]}",
            1 => $"/api/offers?format=inPerson&near={44 + random.NextDouble() * 4:0.00},{random.NextDouble() * 5:0.00}&radiusKm=150&sort=distance",
            2 => "/api/offers?minSeats=500&sort=seatsRemaining",
            3 => $"/api/offers?language={languages[i % languages.Length]}&sort=newest&pageSize=20",
            _ => $"/api/offers?topic=skills&claimableAt={Uri.EscapeDataString(now.AddDays(5).ToString("O"))}",
        };
        for (var i = 0; i < 50; i++) (await http.GetAsync(Query(i))).EnsureSuccessStatusCode();
        var latencies = new List<double>();
        var second = new List<double>();
        for (var i = 0; i < queries; i++)
        {
            var url = Query(i);
            var t = Stopwatch.GetTimestamp();
            var page = await http.GetFromJsonAsync<JsonElement>(url);
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            if (page.GetProperty("continuationToken").GetString() is { } token)
            {
                t = Stopwatch.GetTimestamp();
                (await http.GetAsync(url + "&continuationToken=" + token)).EnsureSuccessStatusCode();
                second.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }
        Scenarios.Report("browse page of 20 with filters, 10,000 offers (ms)", latencies);
        Scenarios.Report("browse next page via continuation token (ms)", second);
    }
}
