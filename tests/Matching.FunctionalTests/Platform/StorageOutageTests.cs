using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;

namespace Matching.FunctionalTests;

/// <summary>Storage goes away and comes back: 503 with Retry-After meanwhile, nothing half-written, work resumes.</summary>
public sealed class StorageOutageTests : IAsyncLifetime
{
    private Azurite _azurite = null!;
    private MatchingApp _app = null!;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync(persistent: true);
        _app = new MatchingApp(_azurite.ConnectionString, new Dictionary<string, string?> { ["Matching:HostJsonPath"] = MatchingApp.FastHostJson() });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    private static string Id(HttpResponseMessage accepted) => accepted.Headers.Location!.ToString().Split('/')[^1];

    [Fact]
    public async Task Storage_down_gives_503_with_retry_after_and_recovers_when_back()
    {
        const string org = "org-outage";
        var client = _app.ClientFor(Role.Ngo, org);
        var before = await client.PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 });
        Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        var table = _app.Table("diagnosticpings");
        await Eventually.Until(async () => (await table.GetEntityAsync<TableEntity>(org, Id(before))).Value.GetString("Status"),
            s => s == "handled", TimeSpan.FromSeconds(20), "the first ping to be handled");

        await _azurite.StopAsync();

        var health = await Eventually.Until(() => _app.CreateClient().GetAsync("/api/health"),
            r => r.StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10), "health to report the outage");
        Assert.NotNull(health.Headers.RetryAfter);
        var report = await health.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unreachable", report.GetProperty("storage").GetProperty("tables").GetString());
        Assert.Equal("unreachable", report.GetProperty("storage").GetProperty("blobs").GetString());

        var during = await client.PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 });
        await HttpPlatformTests.AssertProblem(during, HttpStatusCode.ServiceUnavailable, "urn:matching:problem:storage-unavailable");
        Assert.NotNull(during.Headers.RetryAfter);
        var read = await client.GetAsync(before.Headers.Location);
        await HttpPlatformTests.AssertProblem(read, HttpStatusCode.ServiceUnavailable, "urn:matching:problem:storage-unavailable");

        await _azurite.StartAgainAsync();

        await Eventually.Until(() => _app.CreateClient().GetAsync("/api/health"),
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "health to recover");
        var after = await client.PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 });
        Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);

        // The listener backed off during the outage and resumes: the ping accepted after it is handled too.
        await Eventually.Until(async () => (await table.GetEntityAsync<TableEntity>(org, Id(after))).Value.GetString("Status"),
            s => s == "handled", TimeSpan.FromSeconds(20), "the ping accepted after the outage to be handled");
        // The request refused during the outage left nothing behind: exactly the two accepted pings exist.
        var rows = new List<TableEntity>();
        await foreach (var e in table.QueryAsync<TableEntity>(e => e.PartitionKey == org)) rows.Add(e);
        Assert.Equal(2, rows.Count);
    }
}
