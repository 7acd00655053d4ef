using Microsoft.Extensions.Options;
using Azure;
using Azure.Data.Tables;
using Matching.Hosting;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;

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

    public static IServiceCollection AddDiagnosticPings(this IServiceCollection services) => services
        .AddTable(Table)
        .AddQueueFunction<RecordDiagnosticPing>(FunctionName, Queue)
        .AddTimerFunction<PurgeDiagnosticPings>(PurgeFunctionName, "0 15 3 * * *");

    public static void MapDiagnosticPings(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/diagnostics/pings").WithTags("Diagnostics")
            .RequireRoles(Role.Ngo, Role.Provider, Role.Admin);

        group.MapPost("", CreateAsync)
            .WithName("CreateDiagnosticPing")
            .WithSummary("Sends a ping through the queue; answers 202 with its status URL.")
            .Produces<PingView>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/{pingId}", GetAsync)
            .WithName("GetDiagnosticPing")
            .WithSummary("Shows a ping of the caller's organisation: queued, or handled with the number of attempts.")
            .Produces<PingView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    public sealed record CreatePingRequest(int FailFirstAttempts = 0);

    public sealed record PingView(string Id, string Status, long Attempts, DateTimeOffset AcceptedAt, DateTimeOffset? HandledAt);

    internal sealed record PingMessage(string OrganisationId, string PingId, int FailFirstAttempts);

    private static async Task<IResult> CreateAsync(CreatePingRequest request, HttpContext http, TableServiceClient tables,
        StorageProvisioner provisioner, QueueSender queue, TimeProvider time, CancellationToken ct)
    {
        var validation = new Validation().Range(request.FailFirstAttempts, 0, MaxFailFirstAttempts, "failFirstAttempts");
        if (!validation.IsValid) return validation.ToResult();

        var caller = http.Caller();
        var id = Ids.New();
        var entity = new TableEntity(caller.OrganisationId, id)
        {
            ["Status"] = "queued", ["Attempts"] = 0L, ["AcceptedAt"] = time.GetUtcNow(),
        };
        await provisioner.EnsureReadyAsync(ct);
        var table = tables.GetTableClient(Table);
        await table.AddEntityAsync(entity, ct);
        try
        {
            await queue.SendAsync(Queue, new PingMessage(caller.OrganisationId, id, request.FailFirstAttempts), ct);
        }
        catch (Exception)
        {
            // Not accepted: leave nothing half-written behind the 503 (best effort; storage may be down).
            try { await table.DeleteEntityAsync(caller.OrganisationId, id, ETag.All, CancellationToken.None); } catch (Exception) { }
            throw;
        }
        var view = ToView(entity);
        return Results.Accepted($"/api/diagnostics/pings/{id}", view);
    }

    private static async Task<IResult> GetAsync(string pingId, HttpContext http, TableServiceClient tables,
        StorageProvisioner provisioner, CancellationToken ct)
    {
        if (!Ids.IsValid(pingId)) return Problems.NotFound("The ping");
        await provisioner.EnsureReadyAsync(ct);
        // The caller's organisation is the partition: another organisation's ping is simply not found.
        var found = await tables.GetTableClient(Table).GetEntityIfExistsAsync<TableEntity>(http.Caller().OrganisationId, pingId, cancellationToken: ct);
        return found.HasValue ? Results.Ok(ToView(found.Value!)) : Problems.NotFound("The ping");
    }

    private static PingView ToView(TableEntity e) => new(e.RowKey, e.GetString("Status"), e.GetInt64("Attempts") ?? 0,
        e.GetDateTimeOffset("AcceptedAt") ?? default, e.GetDateTimeOffset("HandledAt"));

    /// <summary>Marks the ping handled. Idempotent: a redelivery rewrites the same row.</summary>
    internal sealed class RecordDiagnosticPing(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IQueueHandler
    {
        public async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
        {
            var ping = message.ReadJson<PingMessage>(json.Value.SerializerOptions);
            if (string.IsNullOrEmpty(ping.OrganisationId) || !Ids.IsValid(ping.PingId))
                throw new InvalidQueueMessageException($"Message {message.Id} does not name a ping.");
            if (message.DequeueCount <= ping.FailFirstAttempts)
                throw new InvalidOperationException($"Ping asked to fail delivery {message.DequeueCount} of its first {ping.FailFirstAttempts}.");
            await provisioner.EnsureReadyAsync(cancellationToken);
            var update = new TableEntity(ping.OrganisationId, ping.PingId)
            {
                ["Status"] = "handled", ["Attempts"] = message.DequeueCount, ["HandledAt"] = time.GetUtcNow(),
            };
            await tables.GetTableClient(Table).UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
    }

    /// <summary>Deletes pings older than <see cref="KeepFor"/>.</summary>
    internal sealed class PurgeDiagnosticPings(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time) : ITimerHandler
    {
        public async Task RunAsync(TimerInfo timer, CancellationToken cancellationToken)
        {
            await provisioner.EnsureReadyAsync(cancellationToken);
            var table = tables.GetTableClient(Table);
            var cutoff = time.GetUtcNow() - KeepFor;
            var old = table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"AcceptedAt lt {cutoff}"),
                select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken);
            await foreach (var e in old)
                await table.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, cancellationToken);
        }
    }
}
