using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;

namespace Matching.Benchmarks;

/// <summary>
/// Issue 21's budget: resolving the caller's membership adds at most 1 ms p95 per request. The same request
/// (GET /api/organisations/{id}: one point read) is sent in turns with a development token that names the role and
/// organisation (no resolution) and with a token that names the person only (resolved through their membership, cached
/// per instance), so that the difference is the resolution's cost.
/// </summary>
internal static class OrganisationScenarios
{
    public static async Task MembershipAsync(string appDll, Azurite azurite, int requests = 2000)
    {
        var port = AppProcess.FreePort();
        await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
        using var op = await AppProcess.ReadyClientAsync(port);
        op.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("operator", "platform"));
        (await op.PostAsJsonAsync("/api/organisations", new { id = "bench-org", name = "Bench", kind = "ngo", siret = "73282932000074" })).EnsureSuccessStatusCode();
        var invite = await (await op.PostAsJsonAsync("/api/organisations/bench-org/invitations", new { email = "a@example.org", role = "admin" })).Content.ReadFromJsonAsync<JsonElement>();
        using var person = await AppProcess.ReadyClientAsync(port);
        person.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.PersonToken("bench-person"));
        (await person.PostAsJsonAsync("/api/invitations/accept", new { token = invite.GetProperty("token").GetString() })).EnsureSuccessStatusCode();
        using var claims = await AppProcess.ReadyClientAsync(port);
        claims.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("admin", "bench-org"));

        async Task<double> TimeAsync(HttpClient client)
        {
            var t = Stopwatch.GetTimestamp();
            (await client.GetAsync("/api/organisations/bench-org")).EnsureSuccessStatusCode();
            return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        for (var i = 0; i < 200; i++) { await TimeAsync(claims); await TimeAsync(person); }
        var (byClaims, byMembership) = (new List<double>(), new List<double>());
        for (var i = 0; i < requests; i++)
        {
            byClaims.Add(await TimeAsync(claims));
            byMembership.Add(await TimeAsync(person));
        }
        Scenarios.Report("GET /api/organisations/{id}, role and organisation in the token (ms)", byClaims);
        Scenarios.Report("GET /api/organisations/{id}, person-only token resolved through the membership (ms)", byMembership);
        Console.WriteLine($"membership: resolution adds p50 {Scenarios.Percentile(byMembership, 0.5) - Scenarios.Percentile(byClaims, 0.5):+0.00;-0.00} ms, " +
            $"p95 {Scenarios.Percentile(byMembership, 0.95) - Scenarios.Percentile(byClaims, 0.95):+0.00;-0.00} ms (budget: at most 1 ms at p95)");
    }
}

/// <summary>
/// Issue 21's listing budget: 10,000 learners of one NGO, a page of 50, p95 at most 100 ms. A third of them have a
/// request (its status read per learner of the page); pages are read in order with their continuation tokens, then
/// a name search and a status filter (which read on through the list until the page is full).
/// </summary>
internal static class StaffViewScenarios
{
    public static async Task LearnersAsync(string appDll, Azurite azurite, int learners = 10_000)
    {
        const string org = "bench-staff";
        var seed = Stopwatch.StartNew();
        var learnerTable = new Azure.Data.Tables.TableClient(azurite.ConnectionString, Matching.Learners.LearnersApi.Table);
        var requestTable = new Azure.Data.Tables.TableClient(azurite.ConnectionString, Matching.Mentoring.MentorRequests.Table);
        await learnerTable.CreateIfNotExistsAsync();
        await requestTable.CreateIfNotExistsAsync();
        string[] names = ["Amina", "Yusuf", "Oksana", "Fatou", "Mariam", "Ahmad", "Léa", "Nadia", "Ibrahim", "Sofia"];
        string[] statuses = ["Queued", "Proposed", "Offered", "Matched", "Ended"];
        var now = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, learners), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var id = Matching.Platform.Ids.Derive("bench-learner", i.ToString());
            var row = new Azure.Data.Tables.TableEntity(org, id) { ["DisplayName"] = $"{names[i % names.Length]} {i}", ["CreatedAt"] = now.AddMinutes(-i) };
            if (i % 3 == 0)
            {
                var requestId = Matching.Platform.Ids.Derive("bench-request", i.ToString());
                row["LastRequestId"] = requestId;
                await requestTable.AddEntityAsync(new Azure.Data.Tables.TableEntity(org, requestId)
                {
                    ["LearnerId"] = id, ["Goals"] = "[\"cvReview\"]", ["Status"] = statuses[i / 3 % statuses.Length], ["CreatedAt"] = now.AddDays(-i % 30), ["UpdatedAt"] = now,
                }, ct);
            }
            await learnerTable.AddEntityAsync(row, ct);
        });
        Console.WriteLine($"learners: seeded {learners:N0} learners ({learners / 3 + 1:N0} with a request) in {seed.Elapsed.TotalSeconds:0} s");

        var port = AppProcess.FreePort();
        await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
        using var http = await AppProcess.ReadyClientAsync(port);
        http.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("ngo", org));
        async Task<(double Ms, string? Next, int Count)> PageAsync(string query)
        {
            var t = Stopwatch.GetTimestamp();
            var page = await http.GetFromJsonAsync<JsonElement>("/api/learners?" + query);
            return (Stopwatch.GetElapsedTime(t).TotalMilliseconds, page.GetProperty("continuationToken").GetString(), page.GetProperty("items").GetArrayLength());
        }
        for (var i = 0; i < 20; i++) await PageAsync("pageSize=50");
        foreach (var (label, query) in new[] { ("every learner", "pageSize=50"), ("search 'amina'", "pageSize=50&search=amina"), ("status matched", "pageSize=50&status=matched") })
        {
            var times = new List<double>();
            var (pages, items) = (0, 0);
            for (var round = 0; round < 3; round++)
            {
                string? next = null;
                do
                {
                    var (ms, token, count) = await PageAsync(query + (next is null ? "" : $"&continuationToken={next}"));
                    times.Add(ms);
                    (pages, items, next) = (pages + 1, items + count, token);
                } while (next is not null);
            }
            Scenarios.Report($"GET /api/learners, {label}, a page of 50 through all {learners:N0} ({pages / 3} pages, {items / 3:N0} items a pass) (ms)", times);
        }
    }
}
