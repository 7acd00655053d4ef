using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Microsoft.Playwright;

namespace Matching.Benchmarks;

/// <summary>
/// Issue 31's page budgets, on the learner's page (the page a cheap phone opens from an SMS): its weight over the wire
/// (HTML and stylesheet, raw and compressed), server rendering at 5 callers (the whole request: session check, the reads
/// and the render), and first contentful paint in Debian's Chromium under Chrome's "Slow 3G" (Puppeteer's preset:
/// 2,000 ms of latency, 50 KB/s each way), cache empty.
/// </summary>
internal static class PageScenarios
{
    public static async Task LearnerPageAsync(string appDll, Azurite azurite, int callers = 5, int requestsEach = 200)
    {
        var port = AppProcess.FreePort();
        await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
        using var http = await AppProcess.ReadyClientAsync(port);
        var link = await MatchWithMeetingAsync(http);

        // The session: the link opens it, the cookie carries it.
        using var browserless = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = http.BaseAddress };
        // (the link answers with the page itself, and its cookie)
        var opened = await browserless.GetAsync(link.AbsolutePath);
        var cookie = opened.Headers.GetValues("Set-Cookie").First().Split(';')[0];
        async Task<HttpResponseMessage> GetAsync(string path)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", cookie);
            return await browserless.SendAsync(request);
        }

        var html = await (await GetAsync("/l")).Content.ReadAsByteArrayAsync();
        Console.WriteLine($"learner page, its stylesheet inside: {html.Length:N0} B raw, {Gzip(html):N0} B gzip, {Brotli(html):N0} B brotli; no script, no image, " +
                          "nothing else to fetch (budget 50 KB compressed)");

        for (var i = 0; i < 50; i++) (await GetAsync("/l")).EnsureSuccessStatusCode();
        var times = new List<double>();
        await Parallel.ForEachAsync(Enumerable.Range(0, callers), new ParallelOptions { MaxDegreeOfParallelism = callers }, async (_, _) =>
        {
            for (var i = 0; i < requestsEach; i++)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await GetAsync("/l");
                await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"/l answered {response.StatusCode}");
                lock (times) times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        });
        Scenarios.Report($"GET /l, the learner's page (session check, reads, render), {callers} callers x {requestsEach} (ms; budget p95 30)", times);

        // The floor: a page with no session and no storage read (the link that does not exist answers with a rendered
        // page after one point read), and the host's own pipeline with a page rendered.
        var floor = new List<double>();
        await Parallel.ForEachAsync(Enumerable.Range(0, callers), new ParallelOptions { MaxDegreeOfParallelism = callers }, async (_, _) =>
        {
            for (var i = 0; i < requestsEach; i++)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await browserless.GetAsync("/signin");
                await response.Content.ReadAsByteArrayAsync();
                lock (floor) floor.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        });
        Scenarios.Report($"GET /signin without a provider set (a rendered page, no storage read: the pipeline's floor), {callers} callers x {requestsEach} (ms)", floor);

        await FirstPaintAsync(new Uri(http.BaseAddress!, link.AbsolutePath));
    }

    private static async Task FirstPaintAsync(Uri link, int runs = 5)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var paints = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            await using var context = await chromium.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 360, Height = 740 } });
            var page = await context.NewPageAsync();
            var cdp = await context.NewCDPSessionAsync(page);
            await cdp.SendAsync("Network.enable");
            await cdp.SendAsync("Network.setCacheDisabled", new Dictionary<string, object> { ["cacheDisabled"] = true });
            await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
            {
                ["offline"] = false, ["latency"] = 2000, ["downloadThroughput"] = 50_000, ["uploadThroughput"] = 50_000,
            });
            // The SMS link, as the learner opens it: the page comes with its session; timed from the start of that navigation.
            await page.GotoAsync(link.ToString(), new PageGotoOptions { Timeout = 60_000 });
            var fcp = await page.EvaluateAsync<double>("""
                () => new Promise(done => {
                  new PerformanceObserver(list => { const e = list.getEntriesByName('first-contentful-paint')[0]; if (e) done(e.startTime); })
                    .observe({ type: 'paint', buffered: true });
                  setTimeout(() => done(-1), 10000);
                })
                """);
            if (fcp < 0) throw new InvalidOperationException("No first contentful paint was recorded.");
            paints.Add(fcp);
        }
        Scenarios.Report("first contentful paint of the learner's page under Slow 3G (2,000 ms latency, 50 KB/s), cache empty, from the page's navigation (ms; budget 3,000)", paints);
    }

    /// <summary>A mentor, a learner matched to them, a meeting proposed, and the learner's link: what the page shows in real use.</summary>
    private static async Task<Uri> MatchWithMeetingAsync(HttpClient http)
    {
        var org = $"bench-pages-{Guid.NewGuid():N}"[..24];
        var mentorToken = AppProcess.Token("mentor", "volunteers", "bench-mentor");
        var ngoToken = AppProcess.Token("ngo", org);
        async Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new("Bearer", token);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
        var availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "18:00:00", end = "20:00:00" } } };
        await SendAsync(HttpMethod.Put, "/api/mentors/me", mentorToken, new
        {
            displayName = "Nadia Benali", contactEmail = "nadia@example.org", languages = new object[] { new { language = "fr", level = "native" } },
            expertise = new[] { "cvReview" }, modes = new[] { "phone" }, availability, capacity = 3,
        });
        var learner = (await SendAsync(HttpMethod.Post, "/api/learners", ngoToken, new { displayName = "Yusuf" })).GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Put, $"/api/learners/{learner}/profile", ngoToken, new
        {
            languages = new object[] { new { language = "fr", level = "b1" } }, availability, modes = new[] { "phone" },
            contact = new { kind = "phone", value = "+33612345678" },
        });
        var requestId = (await SendAsync(HttpMethod.Post, "/api/mentor-requests", ngoToken, new { learnerId = learner, goals = new[] { "cvReview" } })).GetProperty("id").GetString()!;
        JsonElement proposed;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(200);
            proposed = await SendAsync(HttpMethod.Get, $"/api/mentor-requests/{requestId}", ngoToken);
        } while (proposed.GetProperty("status").GetString() != "proposed" && DateTime.UtcNow < deadline);
        var mentorId = proposed.GetProperty("proposals")[0].GetProperty("mentorId").GetString();
        await SendAsync(HttpMethod.Post, $"/api/mentor-requests/{requestId}/choose", ngoToken, new { mentorId });
        await SendAsync(HttpMethod.Post, $"/api/mentors/me/offers/{requestId}/accept", mentorToken);
        var date = DateTime.SpecifyKind(DateTime.UtcNow.Date.AddDays(7), DateTimeKind.Unspecified);
        while (date.DayOfWeek != DayOfWeek.Monday) date = date.AddDays(1);
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var local = date.AddHours(18).AddMinutes(30);
        await SendAsync(HttpMethod.Post, $"/api/matches/{requestId}/sessions", mentorToken,
            new { start = new DateTimeOffset(local, paris.GetUtcOffset(local)), durationMinutes = 60, mode = "phone" });
        return new Uri((await SendAsync(HttpMethod.Post, $"/api/learners/{learner}/access-link", ngoToken)).GetProperty("url").GetString()!);
    }

    private static int Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(bytes);
        return (int)output.Length;
    }

    private static int Brotli(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true)) brotli.Write(bytes);
        return (int)output.Length;
    }
}
