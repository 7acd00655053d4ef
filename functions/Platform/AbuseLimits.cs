using Microsoft.Extensions.Options;
using System.Collections.Concurrent;
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
/// So that most requests cost no storage call, an instance takes its count in blocks: a quarter of what was left
/// at its last read, at most <see cref="MaxBlock"/>, and answers from the block in memory until it is used. Near the
/// limit a block is one attempt, so the limit is never passed, whatever the number of instances; an organisation
/// can be refused a little early while another instance still holds part of a block (at most a quarter of what was
/// left, shrinking as the limit nears), and only in the window that block was taken in.
/// </summary>
public sealed class AbuseLimits(TableServiceClient tables, StorageProvisioner provisioner, IOptions<AbuseLimitOptions> options, TimeProvider time)
{
    public const string Table = "abuselimits";
    private const int Shards = 8;
    public const int MaxBlock = 32;
    private readonly ConcurrentDictionary<string, Window> _windows = new();

    public enum Operation { Claims, MentorRequests, LheoImports }

    /// <summary>One organisation's window of one operation, as this instance knows it.</summary>
    private sealed class Window(string org, string prefix, DateTimeOffset ends)
    {
        public readonly string Org = org, Prefix = prefix;
        public readonly DateTimeOffset Ends = ends;
        public readonly SemaphoreSlim Taking = new(1, 1);
        public int Held;   // counted in storage already, within the limit, not used yet
        public int Known;  // the total at this instance's last read

        public bool TryUse()
        {
            lock (this)
            {
                if (Held == 0) return false;
                Held--;
                return true;
            }
        }
    }

    private (int Limit, TimeSpan Window) Rule(Operation op) => op switch
    {
        Operation.Claims => (options.Value.ClaimsPerMinute, TimeSpan.FromMinutes(1)),
        Operation.MentorRequests => (options.Value.MentorRequestsPerDay, TimeSpan.FromDays(1)),
        _ => (options.Value.LheoImportsPerHour, TimeSpan.FromHours(1)),
    };

    /// <summary>Counts one attempt; the problem to answer when the organisation is over its limit, else null.</summary>
    public async Task<IResult?> TakeAsync(string org, Operation op, CancellationToken ct)
    {
        var (limit, length) = Rule(op);
        if (limit <= 0) return null; // 0 turns the limit off
        var now = time.GetUtcNow();
        var start = new DateTimeOffset(now.UtcTicks / length.Ticks * length.Ticks, TimeSpan.Zero);
        var prefix = $"{op}|{start.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}|";
        var window = _windows.GetOrAdd(org + "|" + prefix, _ => new Window(org, prefix, start + length));
        if (window.TryUse()) return null;
        // One block at a time per window: concurrent attempts wait for it instead of each taking their own.
        await window.Taking.WaitAsync(ct);
        bool accepted;
        try
        {
            if (window.TryUse()) return null;
            int block;
            lock (window) block = Math.Clamp((limit - window.Known) / 4, 1, MaxBlock);
            await provisioner.EnsureReadyAsync(ct);
            await AddAsync(window, block, ct);
            var count = 0;
            await foreach (var e in tables.GetTableClient(Table).QueryAsync<TableEntity>(
                               TableClient.CreateQueryFilter($"PartitionKey eq {org} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + "}"}"),
                               select: ["Count"], cancellationToken: ct))
                count += e.GetInt32("Count") ?? 0;
            // Others may have counted between the write and the read: take the block as the last `block` units of
            // the total (the worst place), and use those at or under the limit.
            var within = Math.Clamp(limit - (count - block), 0, block);
            lock (window)
            {
                window.Known = Math.Max(window.Known, count);
                if (within > 0) window.Held += within - 1;
            }
            accepted = within > 0;
        }
        finally { window.Taking.Release(); }
        Forget(now);
        if (accepted) return null;
        var retryAfter = (int)Math.Ceiling((start + length - now).TotalSeconds);
        return new TooManyRequests(retryAfter, new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests, Type = ProblemTypes.RateLimited, Title = "Too many requests",
            Detail = Texts.Format("Your organisation is limited to {0} {1} per {2}. Retry in {3} seconds.", limit, Name(op), Describe(length), retryAfter),
        });
    }

    /// <summary>Adds to one of the window's shard rows, conditioned on its ETag.</summary>
    private async Task AddAsync(Window window, int n, CancellationToken ct)
    {
        var client = tables.GetTableClient(Table);
        var shard = window.Prefix + Random.Shared.Next(Shards).ToString(CultureInfo.InvariantCulture);
        await Contention.RetryAsync(async () =>
        {
            var row = await client.GetEntityIfExistsAsync<TableEntity>(window.Org, shard, cancellationToken: ct);
            if (!row.HasValue) await client.AddEntityAsync(new TableEntity(window.Org, shard) { ["Count"] = n, ["Expires"] = window.Ends }, ct);
            else
            {
                row.Value!["Count"] = (row.Value.GetInt32("Count") ?? 0) + n;
                await client.UpdateEntityAsync(row.Value, row.Value.ETag, TableUpdateMode.Replace, ct);
            }
        }, ct, maxAttempts: 21);
    }

    /// <summary>Drops the windows that are over (an unused part of a block decides nothing after its window).</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, window) in _windows)
            if (window.Ends <= now) _windows.TryRemove(key, out _);
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

/// <summary>Deletes the limit counts of windows over for a day (they decide nothing any more).</summary>
public sealed class PurgeAbuseLimits(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Schedule = "PurgeAbuseLimitsSchedule";

    [Function("PurgeAbuseLimits")]
    public async Task RunAsync([TimerTrigger("%" + Schedule + "%")] TimerInfo timer, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var table = tables.GetTableClient(AbuseLimits.Table);
        var cutoff = time.GetUtcNow().AddDays(-1);
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Expires lt {cutoff}"), select: ["PartitionKey", "RowKey"], cancellationToken: ct))
            await table.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, ct);
    }
}

/// <summary>How many attempts an organisation may make per window (section <c>Matching:Limits</c>), checked at start; 0 turns one off.</summary>
public sealed class AbuseLimitOptions
{
    public const string Section = "Matching:Limits";

    [System.ComponentModel.DataAnnotations.Range(0, 1_000_000)] public int ClaimsPerMinute { get; set; } = 600;
    [System.ComponentModel.DataAnnotations.Range(0, 1_000_000)] public int MentorRequestsPerDay { get; set; } = 500;
    [System.ComponentModel.DataAnnotations.Range(0, 100_000)] public int LheoImportsPerHour { get; set; } = 60;
}

/// <summary>Checks <see cref="AbuseLimitOptions"/> by code generated at build time: no reflection on the start path.</summary>
[OptionsValidator]
public sealed partial class AbuseLimitOptionsValidator : IValidateOptions<AbuseLimitOptions>;

public static class AbuseLimitsSetup
{
    public static IServiceCollection AddAbuseLimits(this IServiceCollection services)
    {
        services.AddOptions<AbuseLimitOptions>().BindConfiguration(AbuseLimitOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AbuseLimitOptions>, AbuseLimitOptionsValidator>();
        return services.AddTable(AbuseLimits.Table).AddSingleton<AbuseLimits>();
    }
}
