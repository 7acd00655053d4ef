using Microsoft.Extensions.Options;
using Azure;
using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Diagnostics;

/// <summary>
/// Diagnostic pings: an organisation's staff check the whole asynchronous path (HTTP accepts, the queue
/// function works, the result lands in Table Storage). A ping can ask to fail its first deliveries, to
/// watch retries and poisoning happen for real.
/// </summary>
public static class Pings
{
    public const string Table = "diagnosticpings";
    public const string Queue = "diagnostic-pings";
    public const string FunctionName = "RecordDiagnosticPing";
    public const string PurgeFunctionName = "PurgeDiagnosticPings";
    public const int MaxFailFirstAttempts = 10;
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(7);

    /// <summary>The app setting holding the purge timer's schedule (03:15 UTC daily by default).</summary>
    public const string PurgeSchedule = "PurgeDiagnosticPingsSchedule";

    public static IServiceCollection AddDiagnosticPings(this IServiceCollection services) => services.AddTable(Table);

    public sealed record CreatePingRequest(int FailFirstAttempts = 0);

    public sealed record PingView(string Id, string Status, long Attempts, DateTimeOffset AcceptedAt, DateTimeOffset? HandledAt);

    internal sealed record PingMessage(string OrganisationId, string PingId, int FailFirstAttempts);

    internal static PingView ToView(TableEntity e) => new(e.RowKey, e.GetString("Status"), e.GetInt64("Attempts") ?? 0,
        e.GetDateTimeOffset("AcceptedAt") ?? default, e.GetDateTimeOffset("HandledAt"));
}

[Tags("Diagnostics"), RequireRoles(Role.Ngo, Role.Provider, Role.Admin)]
public sealed class PingsApi(TableServiceClient tables, StorageProvisioner provisioner, QueueSender queue, TimeProvider time, ILogger<PingsApi> logger)
{
    [Function("CreateDiagnosticPing")]
    [EndpointSummary("Sends a ping through the queue; answers 202 with its status URL.")]
    [AcceptsBody(typeof(Pings.CreatePingRequest)), ProducesResponseType<Pings.PingView>(StatusCodes.Status202Accepted), ProducesValidationProblem]
    [ProducesProblem(StatusCodes.Status503ServiceUnavailable)]
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/diagnostics/pings")] HttpRequest req, CancellationToken ct)
    {
        var http = req.HttpContext;
        var request = await req.ReadJsonAsync<Pings.CreatePingRequest>(ct);
        var validation = new Validation().Range(request.FailFirstAttempts, 0, Pings.MaxFailFirstAttempts, "failFirstAttempts");
        if (!validation.IsValid) return validation.ToResult();

        var caller = http.Caller();
        var id = Ids.New();
        var entity = new TableEntity(caller.OrganisationId, id)
        {
            ["Status"] = "queued", ["Attempts"] = 0L, ["AcceptedAt"] = time.GetUtcNow(),
        };
        await provisioner.EnsureReadyAsync(ct);
        var table = tables.GetTableClient(Pings.Table);
        await table.AddEntityAsync(entity, ct);
        try
        {
            await queue.SendAsync(Pings.Queue, new Pings.PingMessage(caller.OrganisationId, id, request.FailFirstAttempts), ct);
        }
        catch (Exception)
        {
            // Not accepted: leave nothing half-written behind the 503 (best effort; storage may be down).
            try { await table.DeleteEntityAsync(caller.OrganisationId, id, ETag.All, CancellationToken.None); }
            catch (Exception ex) { logger.LogWarning(ex, "Could not remove ping {PingId} after it was refused", id); }
            throw;
        }
        var view = Pings.ToView(entity);
        return Results.Accepted($"/api/diagnostics/pings/{id}", view);
    }

    [Function("GetDiagnosticPing")]
    [EndpointSummary("Shows a ping of the caller's organisation: queued, or handled with the number of attempts.")]
    [ProducesResponseType<Pings.PingView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/diagnostics/pings/{pingId}")] HttpRequest req,
        string pingId, CancellationToken ct)
    {
        var http = req.HttpContext;
        if (!Ids.IsValid(pingId)) return Problems.NotFound("The ping");
        await provisioner.EnsureReadyAsync(ct);
        // The caller's organisation is the partition: another organisation's ping is simply not found.
        var found = await tables.GetTableClient(Pings.Table).GetEntityIfExistsAsync<TableEntity>(http.Caller().OrganisationId, pingId, cancellationToken: ct);
        return found.HasValue ? Results.Ok(Pings.ToView(found.Value!)) : Problems.NotFound("The ping");
    }
}

/// <summary>Marks the ping handled. Idempotent: a redelivery rewrites the same row.</summary>
public sealed class RecordDiagnosticPing(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    [Function(Pings.FunctionName)]
    public async Task RunAsync([QueueTrigger(Pings.Queue)] string body, string id, long dequeueCount, CancellationToken cancellationToken)
    {
        var message = new QueueMessage(id, body, dequeueCount);
        var ping = message.ReadJson<Pings.PingMessage>(json.Value.SerializerOptions);
        if (string.IsNullOrEmpty(ping.OrganisationId) || !Ids.IsValid(ping.PingId))
            throw new InvalidQueueMessageException($"Message {message.Id} does not name a ping.");
        if (message.DequeueCount <= ping.FailFirstAttempts)
            throw new InvalidOperationException($"Ping asked to fail delivery {message.DequeueCount} of its first {ping.FailFirstAttempts}.");
        await provisioner.EnsureReadyAsync(cancellationToken);
        var update = new TableEntity(ping.OrganisationId, ping.PingId)
        {
            ["Status"] = "handled", ["Attempts"] = message.DequeueCount, ["HandledAt"] = time.GetUtcNow(),
        };
        await tables.GetTableClient(Pings.Table).UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }
}

/// <summary>Deletes pings older than <see cref="Pings.KeepFor"/>.</summary>
public sealed class PurgeDiagnosticPings(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    [Function(Pings.PurgeFunctionName)]
    public async Task RunAsync([TimerTrigger("%" + Pings.PurgeSchedule + "%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        await provisioner.EnsureReadyAsync(cancellationToken);
        var table = tables.GetTableClient(Pings.Table);
        var cutoff = time.GetUtcNow() - Pings.KeepFor;
        var old = table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"AcceptedAt lt {cutoff}"),
            select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken);
        await foreach (var e in old)
            await table.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, cancellationToken);
    }
}
