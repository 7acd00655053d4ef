using Azure;
using Azure.Data.Tables;
using Matching.Learners;
using Matching.Engine;
using Matching.Platform;
using Matching.Storage;

using Matching.Notifications;

namespace Matching.Mentoring.Sessions;

public enum SessionStatus { Proposed, Confirmed, Declined, Cancelled }

public enum Attendance { Held, NoShow, Moved }

/// <summary>What a side says after a session: held, no-show or moved, and a rating of 1 to 5 with an optional comment.</summary>
public sealed record CheckInAnswer(Attendance Attendance, int? Rating = null, string? Comment = null);

/// <summary>A check-in already answered otherwise: a 409 carrying the recorded answer, never a silent 204.</summary>
public sealed class CheckInAnsweredException(CheckInAnswer recorded) : Exception("This check-in was already answered otherwise.")
{
    public CheckInAnswer Recorded { get; } = recorded;
}

/// <summary>A session proposal (or a counter-proposal, or a reschedule): when, how long, how, and where.</summary>
public sealed record SessionProposal(DateTimeOffset Start, int DurationMinutes, SessionMode Mode, string? VideoLink = null, string? VenueId = null);

/// <summary>
/// Sessions of a match, in the learner's NGO partition of <c>mentoringsessions</c> (row key match|session, so a
/// match's sessions are one range query). A session is proposed by one side; the other confirms, declines or
/// counter-proposes (same session, its SEQUENCE raised, as a calendar invitation's reschedule). Either side can
/// reschedule or cancel. After a confirmed session ends, both sides get a check-in (see <see cref="OpenCheckInsAsync"/>).
/// Rules: <see cref="SessionRules"/>; every change is conditioned on the session row's ETag.
/// </summary>
public sealed class SessionBook(TableServiceClient tables, StorageProvisioner provisioner, MentorDirectory mentors, LearnerDirectory learners,
    VenueDirectory venues, MentoringDeadlines deadlines, FollowUpAlerts followUp, ProgrammeDirectory programmes, Outbox outbox, TimeProvider time)
{
    public const string Table = "mentoringsessions";
    public const string CheckInTable = "mentoringcheckins";
    private TableClient Sessions => tables.GetTableClient(Table);
    private TableClient CheckIns => tables.GetTableClient(CheckInTable);

    /// <summary>Both sides' profiles, as the rules need them; null when one side is gone.</summary>
    public async Task<(MentorRecord Mentor, LearnerProfileInput Learner)?> PartiesAsync(MatchParty match, CancellationToken ct)
    {
        var mentor = await mentors.FindAsync(match.MentorId, ct);
        var learnerRow = await learners.RowAsync(match.Org, match.LearnerId, ct);
        return mentor is not null && learnerRow is not null && LearnerProfiles.Read(learnerRow) is { } learner ? (mentor, learner) : null;
    }

    public async Task<Validation> CheckAsync(MatchParty match, Party by, SessionProposal p, bool confirming, CancellationToken ct)
    {
        var parties = await PartiesAsync(match, ct);
        var venue = p.VenueId is { } id ? await venues.FindAsync(id, ct) : null;
        var v = SessionRules.Check(parties, by, p, venue, p.VenueId is not null, confirming, time.GetUtcNow());
        if (match.Match.GetString("ProgrammeId") is { } programmeId && await programmes.FindAsync(programmeId, ct) is { } programme && !programme.Modes.Contains(p.Mode))
            v.Add("mode", Texts.Format("The programme '{0}' runs its sessions by {1}.", programme.Name, string.Join(", ", programme.Modes.Select(RequestLifecycle.Code))));
        return v;
    }

    public async Task<TableEntity> ProposeAsync(MatchParty match, Party by, SessionProposal p, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var id = Ids.New();
        var row = new TableEntity(match.Org, Key(match.Match.RowKey, id))
        {
            ["MatchId"] = match.Match.RowKey, ["SessionId"] = id, ["Sequence"] = 0, ["CreatedAt"] = time.GetUtcNow(),
        };
        await Set(row, p, by, ct);
        Notice[] notices = [NoticeOf(NoticeType.SessionProposed, match, row, by)];
        await Outbox.AddAsync(Sessions, row, notices, ct);
        await outbox.AnnounceAsync(Table, match.Org, notices, ct);
        return row;
    }

    public Task<TableEntity?> FindAsync(MatchParty match, string sessionId, CancellationToken ct) => FindAsync(match.Org, match.Match.RowKey, sessionId, ct);

    public async Task<TableEntity?> FindAsync(string org, string matchId, string sessionId, CancellationToken ct)
    {
        if (!Ids.IsValid(sessionId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Sessions.GetEntityIfExistsAsync<TableEntity>(org, Key(matchId, sessionId), cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>A notice about this session, for the other side (and both, for a confirmation).</summary>
    private Notice NoticeOf(NoticeType type, MatchParty match, TableEntity row, Party by) =>
        Notice.New(type, match.Org, time.GetUtcNow()) with
        {
            RequestId = match.Match.RowKey, MentorId = match.MentorId, LearnerId = match.LearnerId, SessionId = row.GetString("SessionId"),
            When = row.GetDateTimeOffset("Start"), Actor = match.ByStaff ? "staff" : RequestLifecycle.Code(by),
        };

    public Task<IReadOnlyList<TableEntity>> ListAsync(MatchParty match, CancellationToken ct) => ListAsync(match.Org, match.Match.RowKey, ct);

    /// <summary>A match's sessions: one range query on the row key.</summary>
    public async Task<IReadOnlyList<TableEntity>> ListAsync(string org, string matchId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var prefix = matchId + "|";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org} and RowKey ge {prefix} and RowKey lt {matchId + "}"}");
        var list = new List<TableEntity>();
        await foreach (var e in Sessions.QueryAsync<TableEntity>(filter, cancellationToken: ct)) list.Add(e);
        return list.OrderBy(e => e.GetDateTimeOffset("Start")).ToList();
    }

    /// <summary>Applies one change to a session, checked by <see cref="SessionRules.Allows"/>; a change that no longer applies is refused with the current status.</summary>
    public async Task<TableEntity> ChangeAsync(MatchParty match, TableEntity row, SessionChange change, Party by, SessionProposal? proposal, string? videoLink, CancellationToken ct)
    {
        if (Refusal(row, change, by) is { } refused) throw refused;
        var now = time.GetUtcNow();
        var countForProgramme = false;
        var wasConfirmed = Status(row) == SessionStatus.Confirmed;
        switch (change)
        {
            case SessionChange.Confirm:
                row["Status"] = nameof(SessionStatus.Confirmed);
                // A programme counts each session once, however often it is moved and confirmed again.
                if (match.Match.GetString("ProgrammeId") is not null && row.GetBoolean("ProgrammeCounted") != true) row["ProgrammeCounted"] = countForProgramme = true;
                if (videoLink is not null) row["VideoLink"] = videoLink;
                row["ConfirmedAt"] = now;
                row["Sequence"] = (row.GetInt32("Sequence") ?? 0) + 1; // tentative to confirmed is a change calendars must take (RFC 5546)
                break;
            case SessionChange.Decline:
                row["Status"] = nameof(SessionStatus.Declined);
                break;
            case SessionChange.Counter:
                await Set(row, proposal!, by, ct);
                row["Sequence"] = (row.GetInt32("Sequence") ?? 0) + 1; // a new time for the same invitation, tentative until confirmed
                break;
            case SessionChange.Cancel:
                row["Status"] = nameof(SessionStatus.Cancelled);
                row["Sequence"] = (row.GetInt32("Sequence") ?? 0) + 1; // RFC 5546: a cancellation raises SEQUENCE too
                row["CancelledAt"] = now;
                break;
        }
        row["UpdatedAt"] = now;
        NoticeType? told = change switch
        {
            SessionChange.Confirm => NoticeType.SessionConfirmed,
            SessionChange.Counter => wasConfirmed ? NoticeType.SessionMoved : NoticeType.SessionProposed,
            SessionChange.Cancel => NoticeType.SessionCancelled,
            _ => null, // a declined proposal: the proposer sees it on the session, and proposes again
        };
        Notice[] notices = told is { } type ? [NoticeOf(type, match, row, by)] : [];
        if (!await Outbox.TryReplaceAsync(Sessions, row, notices, ct))
            throw new RequestFailedException(412, "The session changed meanwhile.", "UpdateConditionNotSatisfied", null); // the caller reads again
        await outbox.AnnounceAsync(Table, match.Org, notices, ct);
        if (countForProgramme) await programmes.CountSessionAsync(match.Match.GetString("ProgrammeId"), ct);
        if (change == SessionChange.Confirm)
        {
            await deadlines.AddAsync(MentoringDeadlines.Kind.CheckIn, match.Org, match.Match.RowKey, row.GetString("SessionId"), row.GetDateTimeOffset("End")!.Value, ct);
            await followUp.WatchMatchAsync(match.Org, match.Match.RowKey, row.GetDateTimeOffset("Start")!.Value, ct); // no session for a while after this one?
        }
        return row;
    }

    private async Task Set(TableEntity row, SessionProposal p, Party by, CancellationToken ct)
    {
        var venue = p.VenueId is { } id ? await venues.FindAsync(id, ct) : null;
        row["Status"] = nameof(SessionStatus.Proposed);
        row["ProposedBy"] = by.ToString();
        row["Start"] = p.Start.ToUniversalTime();
        row["End"] = p.Start.ToUniversalTime().AddMinutes(p.DurationMinutes);
        row["Mode"] = p.Mode.ToString();
        row["VideoLink"] = p.Mode == SessionMode.Video ? p.VideoLink : null;
        row["VenueId"] = p.Mode == SessionMode.InPerson ? venue?.Id : null;
        row["VenueName"] = p.Mode == SessionMode.InPerson ? venue?.Name : null;
        row["ConfirmedAt"] = null;
    }

    /// <summary>
    /// A confirmed session has ended: each side gets a pending check-in. Idempotent (the rows are upserted and an
    /// answered one is left alone); a session moved or cancelled since is left alone.
    /// </summary>
    public async Task OpenCheckInsAsync(MentoringDeadlines.Due due, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Sessions.GetEntityIfExistsAsync<TableEntity>(due.Org, Key(due.RequestId, due.Subject ?? ""), cancellationToken: ct);
        if (!found.HasValue) return;
        var session = found.Value!;
        if (Status(session) != SessionStatus.Confirmed || session.GetDateTimeOffset("End") > time.GetUtcNow()) return;
        var match = await tables.GetTableClient(MentorRequests.Table).GetEntityIfExistsAsync<TableEntity>(due.Org, due.RequestId, cancellationToken: ct);
        if (!match.HasValue) return;
        foreach (var party in new[] { Party.Mentor, Party.Learner })
        {
            var key = CheckInPartition(party, due.Org, match.Value!.GetString("MentorId"));
            var existing = await CheckIns.GetEntityIfExistsAsync<TableEntity>(key, session.GetString("SessionId"), cancellationToken: ct);
            if (existing.HasValue) continue;
            await CheckIns.UpsertEntityAsync(new TableEntity(key, session.GetString("SessionId"))
            {
                ["Org"] = due.Org, ["MatchId"] = due.RequestId, ["LearnerId"] = match.Value!.GetString("LearnerId"), ["Party"] = party.ToString(),
                ["Start"] = session.GetDateTimeOffset("Start"), ["End"] = session.GetDateTimeOffset("End"), ["Answered"] = false,
            }, TableUpdateMode.Replace, ct);
        }
        // Both sides are asked, once: the notice's id is the session's, so a second run adds nothing.
        var notice = new Notice(Ids.Derive("checkin", session.GetString("SessionId")), NoticeType.CheckInDue, due.Org, time.GetUtcNow(),
            RequestId: due.RequestId, MentorId: match.Value!.GetString("MentorId"), LearnerId: match.Value!.GetString("LearnerId"),
            SessionId: session.GetString("SessionId"), When: session.GetDateTimeOffset("Start"));
        if (await Outbox.TryAddAsync(Sessions, due.Org, notice, ct)) await outbox.AnnounceAsync(Table, due.Org, [notice], ct);
    }

    public static string CheckInPartition(Party party, string org, string mentorId) => party == Party.Mentor ? $"mentor|{mentorId}" : $"ngo|{org}";

    public async Task<IReadOnlyList<TableEntity>> PendingCheckInsAsync(string partition, string? learnerId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var filter = learnerId is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition} and Answered eq {false}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and Answered eq {false} and LearnerId eq {learnerId}");
        var list = new List<TableEntity>();
        await foreach (var e in CheckIns.QueryAsync<TableEntity>(filter, cancellationToken: ct)) list.Add(e);
        return list.OrderBy(e => e.GetDateTimeOffset("End")).ToList();
    }

    public async Task<TableEntity?> CheckInAsync(string partition, string sessionId, CancellationToken ct)
    {
        if (!Ids.IsValid(sessionId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await CheckIns.GetEntityIfExistsAsync<TableEntity>(partition, sessionId, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>
    /// Records one side's check-in on the session and counts it in the mentor's track record (a session held once,
    /// the learner's rating into the mentor's average). A repeated answer changes nothing; a different one is refused
    /// (<see cref="CheckInAnsweredException"/>), checked on the session row under its ETag so two racing answers cannot both land.
    /// </summary>
    public async Task<TableEntity> AnswerAsync(TableEntity checkIn, CheckInAnswer answer, CancellationToken ct)
    {
        if (checkIn.GetBoolean("Answered") == true)
        {
            var recorded = new CheckInAnswer(Enum.Parse<Attendance>(checkIn.GetString("Attendance")), checkIn.GetInt32("Rating"));
            return Same(recorded, answer) ? checkIn : throw new CheckInAnsweredException(recorded);
        }
        var party = Enum.Parse<Party>(checkIn.GetString("Party"));
        var org = checkIn.GetString("Org");
        for (var attempt = 0; ; attempt++)
        {
            var session = (await Sessions.GetEntityAsync<TableEntity>(org, Key(checkIn.GetString("MatchId"), checkIn.RowKey), cancellationToken: ct)).Value;
            if (session.GetString($"{party}Attendance") is { } attendance) // answered meanwhile
            {
                var recorded = new CheckInAnswer(Enum.Parse<Attendance>(attendance), session.GetInt32($"{party}Rating"));
                if (!Same(recorded, answer)) throw new CheckInAnsweredException(recorded);
                break;
            }
            session[$"{party}Attendance"] = answer.Attendance.ToString();
            session[$"{party}Rating"] = answer.Rating;
            session[$"{party}Comment"] = answer.Comment; // shown to the NGO's staff only; never logged, never exported
            var countHeld = answer.Attendance == Attendance.Held && session.GetBoolean("CountedHeld") != true;
            if (countHeld) session["CountedHeld"] = true;
            try { await Sessions.UpdateEntityAsync(session, session.ETag, TableUpdateMode.Replace, ct); }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < 5) { continue; }
            var rating = party == Party.Learner ? answer.Rating : null;
            var match = await SummariseOnMatchAsync(org, checkIn.GetString("MatchId"), countHeld, rating, ct);
            if (countHeld || rating is not null) await mentors.RecordSessionAsync(match.GetString("MentorId"), countHeld, rating, ct);
            await followUp.CheckInAnsweredAsync(org, checkIn.GetString("MatchId"), checkIn.RowKey, answer, await ListAsync(org, checkIn.GetString("MatchId"), ct), ct);
            break;
        }
        checkIn["Answered"] = true;
        checkIn["Attendance"] = answer.Attendance.ToString();
        checkIn["Rating"] = answer.Rating;
        checkIn["AnsweredAt"] = time.GetUtcNow();
        await CheckIns.UpdateEntityAsync(checkIn, ETag.All, TableUpdateMode.Replace, ct);
        return checkIn;
    }

    private static bool Same(CheckInAnswer recorded, CheckInAnswer answer) => recorded.Attendance == answer.Attendance && recorded.Rating == answer.Rating;

    /// <summary>Sessions held and the learner's ratings, counted on the match's row: the training export reads them there.</summary>
    private async Task<TableEntity> SummariseOnMatchAsync(string org, string matchId, bool held, int? rating, CancellationToken ct)
    {
        var requests = tables.GetTableClient(MentorRequests.Table);
        for (var attempt = 0; ; attempt++)
        {
            var match = (await requests.GetEntityAsync<TableEntity>(org, matchId, cancellationToken: ct)).Value;
            if (!held && rating is null) return match;
            if (held) match["SessionsHeld"] = (match.GetInt32("SessionsHeld") ?? 0) + 1;
            if (rating is { } r)
            {
                match["RatingSum"] = (match.GetInt32("RatingSum") ?? 0) + r;
                match["RatingCount"] = (match.GetInt32("RatingCount") ?? 0) + 1;
            }
            try
            {
                await requests.UpdateEntityAsync(match, match.ETag, TableUpdateMode.Replace, ct);
                return match;
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < 10) { }
        }
    }

    /// <summary>Why this side may not make this change to the session now (see <see cref="SessionRules.Allows"/>), or null.</summary>
    public static SessionChangeRefusedException? Refusal(TableEntity row, SessionChange change, Party by)
    {
        var status = Status(row);
        return SessionRules.Allows(status, change, by, Enum.Parse<Party>(row.GetString("ProposedBy"))) ? null
            : new SessionChangeRefusedException(status, Texts.Format("A session that is {0} cannot be {1} {2}.", RequestLifecycle.Code(status), SessionRules.Past(change),
                by == Party.Mentor ? "by the mentor" : "by the learner"));
    }

    public static SessionStatus Status(TableEntity row) => Enum.Parse<SessionStatus>(row.GetString("Status"));

    private static string Key(string matchId, string sessionId) => $"{matchId}|{sessionId}";
}

public enum SessionChange { Confirm, Decline, Counter, Cancel }

public sealed class SessionChangeRefusedException(SessionStatus current, string detail) : Exception(detail)
{
    public SessionStatus Current { get; } = current;
}
