using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.Storage;

namespace Matching.Notifications;

/// <summary>
/// The outbox: a notice is a row beside the state it reports (same table, same partition, <c>~notice|{id}</c>),
/// written in the same entity-group transaction as the state change, so that neither exists without the other.
/// After the commit one queue message names the new rows; <see cref="DispatchNotices"/> turns each into deliveries
/// and deletes it. A crash between the commit and that message leaves the row, which <see cref="SweepOutbox"/>
/// finds. Rows sort after every id ('~' is above letters and digits), so range queries on ids never meet them, and
/// the few whole-partition reads of these tables add <see cref="NotOutbox"/>.
/// </summary>
public sealed class Outbox(QueueSender queue, ILogger<Outbox> logger)
{
    public const string Queue = "notices";
    public const string KeyPrefix = "~notice|";

    /// <summary>A filter clause that leaves outbox rows out of a whole-partition read.</summary>
    public const string NotOutbox = "RowKey lt '~'";

    public static bool IsOutboxRow(ITableEntity e) => e.RowKey.StartsWith('~');

    /// <summary>Names outbox rows to dispatch: one message for all the notices of one change.</summary>
    public sealed record Pointer(string Table, string Partition, IReadOnlyList<string> Ids);

    public static TableEntity Row(string partition, Notice notice) => new(partition, KeyPrefix + notice.Id)
    {
        ["Notice"] = JsonSerializer.Serialize(notice, Json),
        ["At"] = notice.At,
    };

    public static Notice Read(TableEntity row) =>
        JsonSerializer.Deserialize<Notice>(row.GetString("Notice"), Json) ?? throw new InvalidDataException("An empty outbox row.");

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Replaces <paramref name="row"/> on its ETag and adds the notices' rows, in one transaction; false when the row
    /// changed meanwhile (nothing written). The row's ETag is the new one afterwards.
    /// </summary>
    public static async Task<bool> TryReplaceAsync(TableClient table, TableEntity row, IReadOnlyList<Notice> notices, CancellationToken ct)
    {
        try
        {
            if (notices.Count == 0)
            {
                var response = await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, ct);
                row.ETag = response.Headers.ETag ?? row.ETag;
                return true;
            }
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, row, row.ETag) };
            actions.AddRange(notices.Select(n => new TableTransactionAction(TableTransactionActionType.Add, Row(row.PartitionKey, n))));
            var result = await table.SubmitTransactionAsync(actions, ct);
            row.ETag = result.Value[0].Headers.ETag ?? row.ETag;
            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 412 || ex.FailedTransactionActionIndex == 0 && ex.Status is 409 or 404) { return false; }
        catch (RequestFailedException ex) when (ex.Status == 412) { return false; }
    }

    /// <summary>Inserts a new state row and its notices in one transaction (409 when the row exists).</summary>
    public static async Task AddAsync(TableClient table, TableEntity row, IReadOnlyList<Notice> notices, CancellationToken ct)
    {
        if (notices.Count == 0) { await table.AddEntityAsync(row, ct); return; }
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, row) };
        actions.AddRange(notices.Select(n => new TableTransactionAction(TableTransactionActionType.Add, Row(row.PartitionKey, n))));
        try
        {
            var result = await table.SubmitTransactionAsync(actions, ct);
            row.ETag = result.Value[0].Headers.ETag ?? row.ETag;
        }
        catch (TableTransactionFailedException ex) when (ex.FailedTransactionActionIndex == 0 && ex.Status == 409)
        {
            throw new RequestFailedException(409, "The entity already exists.", "EntityAlreadyExists", ex);
        }
    }

    /// <summary>A notice that reports no change of its own (a reminder): added once; false when it was added before.</summary>
    public static async Task<bool> TryAddAsync(TableClient table, string partition, Notice notice, CancellationToken ct)
    {
        try { await table.AddEntityAsync(Row(partition, notice), ct); return true; }
        catch (RequestFailedException ex) when (ex.Status == 409) { return false; }
    }

    /// <summary>
    /// Notices of one partition that report no change of their own (reminders), up to a hundred in one transaction;
    /// those added before are left out (the transaction fails on the first of them, and the rest go one by one).
    /// </summary>
    public static async Task<IReadOnlyList<Notice>> TryAddAllAsync(TableClient table, string partition, IReadOnlyList<Notice> notices, CancellationToken ct)
    {
        if (notices.Count == 0) return [];
        try
        {
            await table.SubmitTransactionAsync(notices.Select(n => new TableTransactionAction(TableTransactionActionType.Add, Row(partition, n))), ct);
            return notices;
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            var added = new List<Notice>();
            foreach (var n in notices) if (await TryAddAsync(table, partition, n, ct)) added.Add(n);
            return added;
        }
    }

    /// <summary>
    /// After the commit: asks for the notices to be dispatched. The change has happened, so a failure here is not the
    /// caller's: it is logged and the sweep sends them a little later.
    /// </summary>
    public async Task AnnounceAsync(string table, string partition, IReadOnlyList<Notice> notices, CancellationToken ct)
    {
        if (notices.Count == 0) return;
        try { await queue.SendAsync(Queue, new Pointer(table, partition, notices.Select(n => n.Id).ToArray()), ct); }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Notices were stored but not announced ({ErrorType}); the outbox sweep will send them", ex.GetType().Name);
        }
    }
}

/// <summary>
/// Finds outbox rows that were committed but never announced (a crash, storage lost between the two writes) and
/// announces them. Schedule: the <c>OutboxSweepSchedule</c> app setting. Rows younger than a minute are left to the
/// message that is surely on its way.
/// </summary>
public sealed class SweepOutbox(TableServiceClient tables, StorageProvisioner provisioner, QueueSender queue, IEnumerable<OutboxTable> outboxTables, TimeProvider time,
    ILogger<SweepOutbox> logger)
{
    public const string Schedule = "OutboxSweepSchedule";

    [Function("SweepOutbox")]
    public async Task RunAsync([TimerTrigger("%" + Schedule + "%")] TimerInfo timer, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var before = time.GetUtcNow().AddMinutes(-1);
        var found = 0;
        foreach (var name in outboxTables.Select(t => t.Name).Distinct())
        {
            // A RowKey range over the whole table: the server scans, and returns only the rows left behind (few).
            var filter = TableClient.CreateQueryFilter($"RowKey ge {Outbox.KeyPrefix} and RowKey lt {Outbox.KeyPrefix[..^1] + "}"} and At lt {before}");
            var rows = new List<(string Partition, string Id)>();
            await foreach (var e in tables.GetTableClient(name).QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: ct))
                rows.Add((e.PartitionKey, e.RowKey[Outbox.KeyPrefix.Length..]));
            foreach (var group in rows.GroupBy(r => r.Partition))
                foreach (var chunk in group.Select(r => r.Id).Chunk(50))
                    await queue.SendAsync(Outbox.Queue, new Outbox.Pointer(name, group.Key, chunk), ct);
            found += rows.Count;
        }
        if (found > 0) logger.LogWarning("The outbox sweep announced {Count} notices left behind", found);
    }
}
