using Azure;
using Azure.Data.Tables;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>
/// The lifecycle's deadlines (an offer awaiting the mentor, proposals awaiting the learner's choice, a rescoring
/// that must happen, a check-in to open, a follow-up to look at) in one table: one partition per kind of timer and
/// due day (<c>due|20261125</c>), rows ordered by due time, so that a timer reads only what is due (a range query in
/// each of the last <see cref="LookBackDays"/> days' partitions), never the whole table, and no partition grows
/// with the number of matches. A deadline is written before the state it guards, and deleted once handled;
/// handling checks the request's current state, so a stale or repeated deadline changes nothing.
/// </summary>
public sealed class MentoringDeadlines(TableServiceClient tables, StorageProvisioner provisioner)
{
    public const string Table = "mentoringdeadlines";

    /// <summary>The lifecycle's deadlines (every few minutes) and the NGO follow-up's (daily) are read by different timers.</summary>
    public const string Lifecycle = "due", FollowUp = "followup";

    public enum Kind { Offer, Proposals, Score, CheckIn, NoSession, Unanswered }

    /// <summary>How far back a timer looks for deadlines it has not handled (a timer that was down that long).</summary>
    public const int LookBackDays = 31;

    private static string GroupOf(Kind kind) => kind is Kind.NoSession or Kind.Unanswered ? FollowUp : Lifecycle;

    public static string PartitionOf(Kind kind, DateTimeOffset at) => $"{GroupOf(kind)}|{at.UtcDateTime:yyyyMMdd}";

    /// <summary>A due deadline. <paramref name="Subject"/>: the mentor of an offer, the session of a check-in.</summary>
    public sealed record Due(Kind Kind, string Org, string RequestId, string? Subject, DateTimeOffset At, string RowKey);

    private TableClient Client => tables.GetTableClient(Table);

    public async Task AddAsync(Kind kind, string org, string requestId, string? subject, DateTimeOffset at, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        await Client.UpsertEntityAsync(new TableEntity(PartitionOf(kind, at), Key(at, kind, requestId, subject))
        {
            ["Kind"] = kind.ToString(), ["Org"] = org, ["RequestId"] = requestId, ["Subject"] = subject, ["At"] = at,
        }, TableUpdateMode.Replace, ct);
    }

    /// <summary>Deadlines due at <paramref name="now"/>, earliest first, read page by page.</summary>
    public async IAsyncEnumerable<Due> DueAsync(string group, DateTimeOffset now, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        for (var day = now.UtcDateTime.Date.AddDays(-LookBackDays); day <= now.UtcDateTime.Date; day = day.AddDays(1))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {$"{group}|{day:yyyyMMdd}"} and RowKey lt {Ticks(now) + "~"}");
            await foreach (var e in Client.QueryAsync<TableEntity>(filter, maxPerPage: 500, cancellationToken: ct))
                yield return new Due(Enum.Parse<Kind>(e.GetString("Kind")), e.GetString("Org"), e.GetString("RequestId"), e.GetString("Subject"),
                    e.GetDateTimeOffset("At") ?? now, e.RowKey);
        }
    }

    public async Task DoneAsync(Due due, CancellationToken ct)
    {
        try { await Client.DeleteEntityAsync(PartitionOf(due.Kind, due.At), due.RowKey, ETag.All, ct); }
        catch (RequestFailedException ex) when (ex.Status == 404) { }
    }

    private static string Key(DateTimeOffset at, Kind kind, string requestId, string? subject) => $"{Ticks(at)}|{kind}|{requestId}|{subject}";

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Expires offers nobody answered (the next proposal is offered), proposals nobody chose (the request expires),
/// re-sends a rescoring that was not picked up, and opens both sides' check-ins once a session has ended. Schedule: the <c>MentoringDeadlinesSchedule</c> app setting.
/// </summary>
public sealed class ExpireMentoringDeadlines(MentoringDeadlines deadlines, MentoringLifecycle lifecycle, Sessions.SessionBook sessions, TimeProvider time)
{
    public const string Schedule = "MentoringDeadlinesSchedule";

    [Function("ExpireMentoringDeadlines")]
    public async Task RunAsync([TimerTrigger("%" + Schedule + "%")] TimerInfo timer, CancellationToken ct)
    {
        await foreach (var due in deadlines.DueAsync(MentoringDeadlines.Lifecycle, time.GetUtcNow(), ct))
        {
            if (due.Kind == MentoringDeadlines.Kind.CheckIn) await sessions.OpenCheckInsAsync(due, ct);
            else await lifecycle.HandleDeadlineAsync(due, ct);
            await deadlines.DoneAsync(due, ct);
        }
    }
}
