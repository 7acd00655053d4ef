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
