using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Matching.Storage;

namespace Matching.Health;

public sealed record HealthReport(string Status, IReadOnlyDictionary<string, string> Storage);

/// <summary>
/// Probes table, queue and blob storage with one cheap call each. The result is shared for a second so that a
/// health poller at hundreds of requests per second costs storage at most one probe per second.
/// </summary>
public sealed class StorageHealth(TableServiceClient tables, QueueServiceClient queues, BlobServiceClient blobs, StorageProvisioner provisioner, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private readonly Lock _lock = new();
    private Task<HealthReport>? _current;
    private DateTimeOffset _probedAt;

    public Task<HealthReport> CheckAsync()
    {
        lock (_lock)
        {
            if (_current is null || (_current.IsCompleted && time.GetUtcNow() - _probedAt > CacheFor))
            {
                _probedAt = time.GetUtcNow();
                _current = ProbeAsync();
            }
            return _current;
        }
    }

    private async Task<HealthReport> ProbeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var table = ProbeOne(async ct =>
        {
            // A point read of a row that never exists: 404 proves the service answers, with data-plane rights only.
            var name = provisioner.TableNames.FirstOrDefault() ?? "health";
            try { await tables.GetTableClient(name).GetEntityIfExistsAsync<TableEntity>("health", "probe", cancellationToken: ct); }
            catch (RequestFailedException ex) when (ex.Status == 404) { }
        }, timeout.Token);
        var queue = ProbeOne(async ct =>
        {
            var name = provisioner.QueueNames.FirstOrDefault() ?? "health";
            try { await queues.GetQueueClient(name).GetPropertiesAsync(ct); }
            catch (RequestFailedException ex) when (ex.Status == 404) { }
        }, timeout.Token);
        var blob = ProbeOne(async ct =>
        {
            var name = provisioner.ContainerNames.FirstOrDefault() ?? "health";
            await blobs.GetBlobContainerClient(name).ExistsAsync(ct); // false is an answer too
        }, timeout.Token);
        var results = new Dictionary<string, string> { ["tables"] = await table, ["queues"] = await queue, ["blobs"] = await blob };
        return new HealthReport(results.Values.All(v => v == "reachable") ? "healthy" : "unhealthy", results);
    }

    private static async Task<string> ProbeOne(Func<CancellationToken, Task> probe, CancellationToken ct)
    {
        try
        {
            await probe(ct);
            return "reachable";
        }
        catch (Exception)
        {
            return "unreachable";
        }
    }
}

[Tags("Platform"), AllowAnonymous]
public sealed class HealthFunction(StorageHealth health)
{
    [Function("GetHealth")]
    [EndpointSummary("Reports whether table, queue and blob storage are reachable.")]
    [EndpointDescription("Anonymous, for probes. 200 when storage answers, 503 with Retry-After when it does not. Results are cached for one second.")]
    [ProducesResponseType<HealthReport>(StatusCodes.Status200OK), ProducesResponseType<HealthReport>(StatusCodes.Status503ServiceUnavailable)]
    public async Task<IResult> RunAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest req)
    {
        var report = await health.CheckAsync();
        if (report.Status == "healthy") return Results.Ok(report);
        req.HttpContext.Response.Headers.RetryAfter = Platform.Problems.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
