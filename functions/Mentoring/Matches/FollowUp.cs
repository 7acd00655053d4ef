using Microsoft.Extensions.Options;
using Azure;
using Azure.Data.Tables;
using Matching.Mentoring.Sessions;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

public enum AlertKind { NoSession, NoShows, LowRating, Unanswered }

/// <summary>The thresholds of the NGO follow-up (settings under <c>Mentoring:FollowUp</c>).</summary>

/// <summary>
/// The close follow-up an NGO gives its learners: alerts on its list for a match with no session for a while,
/// no-shows in a row, a poor rating, or proposals nobody answered. Staff acknowledge them. An alert's id is derived
/// from what it is about, so raising it again (a retry, the next daily run) changes nothing; an acknowledged alert
/// stays acknowledged. Time-based alerts come from follow-up deadlines read by a daily timer; check-in alerts are
/// raised as the check-in is answered.
/// </summary>
public sealed class FollowUpAlerts(TableServiceClient tables, StorageProvisioner provisioner, MentoringDeadlines deadlines, IOptions<MentoringOptions> options,
    Notifications.Outbox outbox, TimeProvider time)
{
    public const string Table = "followupalerts";
    private TableClient Alerts => tables.GetTableClient(Table);
    private TableClient Requests => tables.GetTableClient(MentorRequests.Table);
    public FollowUpOptions Thresholds => options.Value.FollowUp;

    public sealed record AlertView(string Id, AlertKind Kind, string LearnerId, string RequestId, string? SessionId, string Detail, DateTimeOffset RaisedAt,
        bool Acknowledged, DateTimeOffset? AcknowledgedAt);

    public Task WatchMatchAsync(string org, string requestId, DateTimeOffset from, CancellationToken ct) =>
        deadlines.AddAsync(MentoringDeadlines.Kind.NoSession, org, requestId, null, from.AddDays(Thresholds.NoSessionDays), ct);

    public Task WatchProposalsAsync(string org, string requestId, DateTimeOffset from, CancellationToken ct) =>
        deadlines.AddAsync(MentoringDeadlines.Kind.Unanswered, org, requestId, null, from.AddDays(Thresholds.UnansweredDays), ct);

    /// <summary>A follow-up deadline is due: raise its alert if the situation is still what it watches for.</summary>
    public async Task HandleAsync(MentoringDeadlines.Due due, IReadOnlyList<SessionRow> sessions, CancellationToken ct)
    {
        if (await MentorRequestRow.FindAsync(Requests, due.Org, due.RequestId, ct) is not { } request) return;
        var now = time.GetUtcNow();
        var status = request.Status;
        if (due.Kind == MentoringDeadlines.Kind.Unanswered && status == RequestStatus.Proposed)
            await RaiseAsync(request, AlertKind.Unanswered, null, Thresholds.UnansweredDays, ct);
        if (due.Kind == MentoringDeadlines.Kind.NoSession && status == RequestStatus.Matched)
        {
            var since = now.AddDays(-Thresholds.NoSessionDays);
            // A session planned ahead, or one in the window, is enough.
            var active = sessions.Any(s => s.Status == SessionStatus.Confirmed && s.Start >= since);
            if (!active && request.MatchedAt <= since)
                await RaiseAsync(request, AlertKind.NoSession, null, Thresholds.NoSessionDays, ct);
        }
    }

    /// <summary>Right after a check-in: a poor rating, or no-shows in a row on the match's latest sessions.</summary>
    public async Task CheckInAnsweredAsync(string org, string matchId, string sessionId, CheckInAnswer answer, IReadOnlyList<SessionRow> sessions, CancellationToken ct)
    {
        if (await MentorRequestRow.FindAsync(Requests, org, matchId, ct) is not { } request) return;
        if (answer.Rating is { } rating && rating <= Thresholds.LowRating)
            await RaiseAsync(request, AlertKind.LowRating, sessionId, rating, ct);
        if (answer.Attendance != Attendance.NoShow) return;
        var latest = sessions.Where(s => s.AttendanceOf(Party.Mentor) is not null || s.AttendanceOf(Party.Learner) is not null)
            .OrderByDescending(s => s.Start).Take(Thresholds.NoShowsInARow).ToList();
        if (latest.Count == Thresholds.NoShowsInARow && latest.All(NoShow))
            await RaiseAsync(request, AlertKind.NoShows, sessionId, Thresholds.NoShowsInARow, ct);
    }

    private static bool NoShow(SessionRow s) => s.AttendanceOf(Party.Mentor) == Attendance.NoShow || s.AttendanceOf(Party.Learner) == Attendance.NoShow;

    /// <summary>What an alert says, in the reader's language, from its kind and its figure (days, no-shows, a rating).</summary>
    private static string Detail(AlertKind kind, int figure) => Texts.Format(kind switch
    {
        AlertKind.Unanswered => "Proposals unanswered for {0} days.",
        AlertKind.NoSession => "No session in {0} days.",
        AlertKind.LowRating => "A session was rated {0} out of 5.",
        _ => "{0} no-shows in a row.",
    }, figure);

    private async Task RaiseAsync(MentorRequestRow request, AlertKind kind, string? sessionId, int figure, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var id = Ids.Derive(kind.ToString(), request.Id, sessionId ?? "");
        var now = time.GetUtcNow();
        Notifications.Notice[] notices = [Notifications.Notice.New(Notifications.NoticeType.FollowUpAlert, request.Org, now) with
        {
            RequestId = request.Id, LearnerId = request.LearnerId, SessionId = sessionId, Reason = RequestLifecycle.Code(kind),
        }];
        try
        {
            await Notifications.Outbox.AddAsync(Alerts, new TableEntity(request.Org, id)
            {
                ["Kind"] = kind.ToString(), ["LearnerId"] = request.LearnerId, ["RequestId"] = request.Id, ["SessionId"] = sessionId,
                ["Figure"] = figure, ["RaisedAt"] = now, ["Acknowledged"] = false,
            }, notices, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409) { return; } // raised before (and its notice with it)
        await outbox.AnnounceAsync(Table, request.Org, notices, ct);
    }

    public async Task<IReadOnlyList<AlertView>> ListAsync(string org, bool? acknowledged, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var filter = acknowledged is { } a
            ? TableClient.CreateQueryFilter($"PartitionKey eq {org} and Acknowledged eq {a}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {org}") + " and " + Notifications.Outbox.NotOutbox;
        var list = new List<AlertView>();
        await foreach (var e in Alerts.QueryAsync<TableEntity>(filter, cancellationToken: ct)) list.Add(ToView(e));
        return list.OrderByDescending(a => a.RaisedAt).ToList();
    }

    public async Task<AlertView?> AcknowledgeAsync(string org, string alertId, CancellationToken ct)
    {
        if (!Ids.IsValid(alertId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Alerts.GetEntityIfExistsAsync<TableEntity>(org, alertId, cancellationToken: ct);
        if (!found.HasValue) return null;
        var alert = found.Value!;
        if (alert.GetBoolean("Acknowledged") != true)
        {
            alert["Acknowledged"] = true;
            alert["AcknowledgedAt"] = time.GetUtcNow();
            await Alerts.UpdateEntityAsync(alert, ETag.All, TableUpdateMode.Replace, ct);
        }
        return ToView(alert);
    }

    private static AlertView ToView(TableEntity e) => new(e.RowKey, Enum.Parse<AlertKind>(e.GetString("Kind")), e.GetString("LearnerId"), e.GetString("RequestId"),
        e.GetString("SessionId"), e.GetInt32("Figure") is { } figure ? Detail(Enum.Parse<AlertKind>(e.GetString("Kind")), figure) : e.GetString("Detail"),
        e.GetDateTimeOffset("RaisedAt") ?? default, e.GetBoolean("Acknowledged") == true, e.GetDateTimeOffset("AcknowledgedAt"));
}

/// <summary>Daily: raises the NGO follow-up's time-based alerts. Schedule: the <c>FollowUpAlertsSchedule</c> app setting.</summary>
public sealed class RaiseFollowUpAlerts(MentoringDeadlines deadlines, FollowUpAlerts alerts, SessionBook sessions, TimeProvider time)
{
    public const string Schedule = "FollowUpAlertsSchedule";

    [Function("RaiseFollowUpAlerts")]
    public async Task RunAsync([TimerTrigger("%" + Schedule + "%")] TimerInfo timer, CancellationToken ct)
    {
        await foreach (var due in deadlines.DueAsync(MentoringDeadlines.FollowUp, time.GetUtcNow(), ct))
        {
            var matchSessions = due.Kind == MentoringDeadlines.Kind.NoSession ? await sessions.ListAsync(due.Org, due.RequestId, ct) : [];
            await alerts.HandleAsync(due, matchSessions, ct);
            await deadlines.DoneAsync(due, ct);
        }
    }
}

[Tags("Mentoring"), RequireRoles(Role.Ngo)]
public sealed class FollowUpFunctions(FollowUpAlerts alerts)
{
    [Function("ListFollowUpAlerts")]
    [EndpointSummary("The NGO's follow-up list: matches with no session for a while, no-shows in a row, poor ratings, proposals nobody answered.")]
    [QueryParameter("acknowledged", "true or false; both when absent.", Type = "boolean")]
    [ProducesResponseType<IReadOnlyList<FollowUpAlerts.AlertView>>(StatusCodes.Status200OK), ProducesValidationProblem]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/follow-up/alerts")] HttpRequest req, CancellationToken ct)
    {
        var v = new Validation();
        var acknowledged = v.Bool(req, "acknowledged");
        if (!v.IsValid) return v.ToResult();
        return Results.Ok(await alerts.ListAsync(req.HttpContext.Caller().OrganisationId, acknowledged, ct));
    }

    [Function("AcknowledgeFollowUpAlert")]
    [EndpointSummary("A staff member acknowledges an alert (it stays on the list, acknowledged).")]
    [ProducesResponseType<FollowUpAlerts.AlertView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> AcknowledgeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/follow-up/alerts/{alertId}/acknowledge")] HttpRequest req,
        string alertId, CancellationToken ct) =>
        await alerts.AcknowledgeAsync(req.HttpContext.Caller().OrganisationId, alertId, ct) is { } alert ? Results.Ok(alert) : Problems.NotFound("The alert");
}
