using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Matching.Platform;
using Matching.Storage;

namespace Matching.Notifications;

/// <summary>
/// Reminders to send later: a session 24 h and 1 h before it starts, an offer or held seats 24 h before they expire. They are
/// written when the notice they follow is dispatched (off the change's path), one partition per due hour, rows in
/// due order, so that a timer run reads only what is due. When due, the reminder is sent only if what it reminds of
/// still holds (the session still confirmed at that time, the offer still open to that mentor); its notice id is
/// derived from what it reminds of, so a second run, or a crash between two writes, sends nothing twice.
/// </summary>
public sealed class ReminderBook(TableServiceClient tables, StorageProvisioner provisioner)
{
    public const string Table = "reminders";

    /// <summary>How far back a run looks for reminders not sent (a timer that was down); older ones are stale.</summary>
    public static readonly TimeSpan LookBack = TimeSpan.FromHours(6);

    public sealed record Due(string Partition, string RowKey, NoticeType Kind, Notice Source, string Lead);

    private TableClient Client => tables.GetTableClient(Table);

    /// <summary>The reminders a dispatched notice calls for (none when their time has passed).</summary>
    public static IEnumerable<(NoticeType Kind, DateTimeOffset At, string Lead)> For(Notice n, DateTimeOffset now)
    {
        if (n.When is not { } when) yield break;
        IEnumerable<(NoticeType, DateTimeOffset, string)> all = n.Type switch
        {
            NoticeType.SessionConfirmed => [(NoticeType.SessionReminder, when.AddHours(-24), "24h"), (NoticeType.SessionReminder, when.AddHours(-1), "1h")],
            NoticeType.OfferAwaiting => [(NoticeType.OfferExpiring, when.AddHours(-24), "24h")],
            NoticeType.ClaimHeld or NoticeType.ClaimPromoted => [(NoticeType.ClaimHoldExpiring, when.AddHours(-24), "24h")],
            _ => [],
        };
        foreach (var r in all) if (r.Item2 > now) yield return r;
    }

    public async Task AddAsync(Notice source, NoticeType kind, DateTimeOffset at, string lead, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        await Client.UpsertEntityAsync(new TableEntity(PartitionOf(at), $"{Ticks(at)}|{kind}|{source.SessionId ?? source.ClaimId ?? source.RequestId}|{lead}")
        {
            ["Kind"] = kind.ToString(), ["Lead"] = lead, ["Source"] = System.Text.Json.JsonSerializer.Serialize(source, Outbox.Json),
        }, TableUpdateMode.Replace, ct);
    }

    public async IAsyncEnumerable<Due> DueAsync(DateTimeOffset now, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        for (var hour = Hour(now - LookBack); hour <= Hour(now); hour = hour.AddHours(1))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionOf(hour)} and RowKey lt {Ticks(now) + "~"}");
            await foreach (var e in Client.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: ct))
                yield return new Due(e.PartitionKey, e.RowKey, Enum.Parse<NoticeType>(e.GetString("Kind")),
                    System.Text.Json.JsonSerializer.Deserialize<Notice>(e.GetString("Source"), Outbox.Json)!, e.GetString("Lead"));
        }
    }

    /// <summary>Deletes handled reminders, a hundred per transaction (they share their hour's partition).</summary>
    public async Task DoneAsync(IEnumerable<Due> done, CancellationToken ct)
    {
        foreach (var partition in done.GroupBy(d => d.Partition))
            foreach (var chunk in partition.Chunk(100))
                try { await Client.SubmitTransactionAsync(chunk.Select(d => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(d.Partition, d.RowKey), ETag.All)), ct); }
                catch (TableTransactionFailedException)
                {
                    foreach (var d in chunk) // one was gone already (a concurrent run): delete the rest one by one
                        try { await Client.DeleteEntityAsync(d.Partition, d.RowKey, ETag.All, ct); }
                        catch (RequestFailedException ex) when (ex.Status == 404) { }
                }
    }

    private static DateTimeOffset Hour(DateTimeOffset t) => new(t.UtcDateTime.Date.AddHours(t.UtcDateTime.Hour), TimeSpan.Zero);

    private static string PartitionOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);
}

/// <summary>Sends the reminders that are due. Schedule: the <c>RemindersSchedule</c> app setting (every five minutes by default).</summary>
public sealed class SendReminders(ReminderBook reminders, IEnumerable<IReminderSource> sources, TableServiceClient tables,
    Outbox outbox, TimeProvider time, ILogger<SendReminders> logger)
{
    public const string Schedule = "RemindersSchedule";
    private const int Parallelism = 16, PageSize = 1000;

    [Function("SendReminders")]
    public async Task RunAsync([TimerTrigger("%" + Schedule + "%")] TimerInfo timer, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var (due, sent) = (0, 0);
        var page = new List<ReminderBook.Due>(PageSize);
        await foreach (var reminder in reminders.DueAsync(now, ct))
        {
            page.Add(reminder);
            if (page.Count < PageSize) continue;
            sent += await SendPageAsync(page, ct);
            due += page.Count;
            page.Clear();
        }
        sent += await SendPageAsync(page, ct);
        due += page.Count;
        if (due > 0) logger.LogInformation("Reminders: {Sent} sent of {Due} due", sent, due);
    }

    /// <summary>
    /// One page of due reminders, done before the next is read (so memory holds a page, however many are due): each is
    /// checked in parallel; their notices go to the outbox a hundred per partition and transaction, are announced one
    /// message per hundred, and the reminders are deleted.
    /// </summary>
    private async Task<int> SendPageAsync(List<ReminderBook.Due> page, CancellationToken ct)
    {
        if (page.Count == 0) return 0;
        var made = new ConcurrentBag<(string Table, string Partition, Notice Notice)>();
        await Parallel.ForEachAsync(page, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (due, token) =>
        {
            if (await NoticeForAsync(due, token) is { } notice) made.Add(notice);
        });
        var sent = 0;
        foreach (var group in made.GroupBy(m => (m.Table, m.Partition)))
            foreach (var chunk in group.Chunk(100))
            {
                var added = await Outbox.TryAddAllAsync(tables.GetTableClient(group.Key.Table), group.Key.Partition, chunk.Select(c => c.Notice).ToArray(), ct);
                await outbox.AnnounceAsync(group.Key.Table, group.Key.Partition, added, ct);
                sent += added.Count;
            }
        await reminders.DoneAsync(page, ct);
        return sent;
    }

    /// <summary>The reminder's notice if what it reminds of still holds, with the table and partition its outbox row goes to.</summary>
    private async Task<(string Table, string Partition, Notice Notice)?> NoticeForAsync(ReminderBook.Due due, CancellationToken ct)
    {
        var s = due.Source;
        var id = Ids.Derive("reminder", due.Kind.ToString(), s.SessionId ?? s.ClaimId ?? s.RequestId ?? "", s.When?.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "", due.Lead);
        var notice = s with { Id = id, Type = due.Kind, At = time.GetUtcNow(), Actor = null };
        // The feature that owns what it reminds of says whether it still holds (moved, answered, released) and where the notice goes.
        if (sources.FirstOrDefault(source => source.Handles(due.Kind)) is not { } owner) return null;
        return await owner.StillDueAsync(due.Kind, s, ct) is { } place ? (place.Table, place.Partition, notice) : null;
    }
}
