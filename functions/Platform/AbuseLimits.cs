using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Platform;

/// <summary>
/// Per-organisation quotas on expensive operations, counted in Table Storage so that they hold across instances:
/// fixed windows, each counted on a few shard rows (so that a burst from one organisation does not queue on one
/// row's ETag) and summed with one range query. Attempts count, accepted or not. Over the limit: 429 with
/// Retry-After (the end of the window) and a problem. Limits are settings (<c>Matching:Limits:*</c>).
/// </summary>
public sealed class AbuseLimits(TableServiceClient tables, StorageProvisioner provisioner, IConfiguration configuration, TimeProvider time)
{
    public const string Table = "abuselimits";
    private const int Shards = 8;

    public enum Operation { Claims, MentorRequests, LheoImports }

    private (int Limit, TimeSpan Window) Rule(Operation op) => op switch
    {
        Operation.Claims => (configuration.GetValue("Matching:Limits:ClaimsPerMinute", 600), TimeSpan.FromMinutes(1)),
        Operation.MentorRequests => (configuration.GetValue("Matching:Limits:MentorRequestsPerDay", 500), TimeSpan.FromDays(1)),
        _ => (configuration.GetValue("Matching:Limits:LheoImportsPerHour", 60), TimeSpan.FromHours(1)),
    };

    /// <summary>Counts one attempt; the problem to answer when the organisation is over its limit, else null.</summary>
    public async Task<IResult?> TakeAsync(string org, Operation op, CancellationToken ct)
    {
        var (limit, window) = Rule(op);
        if (limit <= 0) return null; // 0 turns the limit off
        await provisioner.EnsureReadyAsync(ct);
        var now = time.GetUtcNow();
        var start = new DateTimeOffset(now.UtcTicks / window.Ticks * window.Ticks, TimeSpan.Zero);
        var prefix = $"{op}|{start.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|";
        var client = tables.GetTableClient(Table);
        var shard = prefix + Random.Shared.Next(Shards).ToString(CultureInfo.InvariantCulture);
        for (var attempt = 0; ; attempt++)
        {
            var row = await client.GetEntityIfExistsAsync<TableEntity>(org, shard, cancellationToken: ct);
            try
            {
                if (!row.HasValue) await client.AddEntityAsync(new TableEntity(org, shard) { ["Count"] = 1, ["Expires"] = start + window }, ct);
                else
                {
                    row.Value!["Count"] = (row.Value.GetInt32("Count") ?? 0) + 1;
                    await client.UpdateEntityAsync(row.Value, row.Value.ETag, TableUpdateMode.Replace, ct);
                }
                break;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 20) { }
        }
        var count = 0;
        await foreach (var e in client.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {org} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + "}"}"),
                           select: ["Count"], cancellationToken: ct))
            count += e.GetInt32("Count") ?? 0;
        if (count <= limit) return null;
        var retryAfter = (int)Math.Ceiling((start + window - now).TotalSeconds);
        return new TooManyRequests(retryAfter, new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests, Type = ProblemTypes.RateLimited, Title = "Too many requests",
            Detail = $"Your organisation is limited to {limit} {Name(op)} per {Describe(window)}. Retry in {retryAfter} seconds.",
        });
    }

    private static string Name(Operation op) => op switch { Operation.Claims => "claims", Operation.MentorRequests => "mentor requests", _ => "LHEO imports" };

    private static string Describe(TimeSpan window) => window == TimeSpan.FromMinutes(1) ? "minute" : window == TimeSpan.FromHours(1) ? "hour" : "day";

    /// <summary>A 429 problem with its Retry-After header.</summary>
    private sealed class TooManyRequests(int retryAfterSeconds, ProblemDetails problem) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(problem).ExecuteAsync(context);
        }
    }
}
