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
        if (match.Match.ProgrammeId is { } programmeId && await programmes.FindAsync(programmeId, ct) is { } programme && !programme.Modes.Contains(p.Mode))
            v.Add("mode", Texts.Format("The programme '{0}' runs its sessions by {1}.", programme.Name, string.Join(", ", programme.Modes.Select(RequestLifecycle.Code))));
        return v;
    }

    public async Task<SessionRow> ProposeAsync(MatchParty match, Party by, SessionProposal p, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var row = SessionRow.New(match.Org, match.Match.Id, Ids.New(), time.GetUtcNow());
        await Set(row, p, by, ct);
        Notice[] notices = [NoticeOf(NoticeType.SessionProposed, match, row, by)];
        await Outbox.AddAsync(Sessions, row.Entity, notices, ct);
        await outbox.AnnounceAsync(Table, match.Org, notices, ct);
        return row;
    }

    public Task<SessionRow?> FindAsync(MatchParty match, string sessionId, CancellationToken ct) => FindAsync(match.Org, match.Match.Id, sessionId, ct);

    public async Task<SessionRow?> FindAsync(string org, string matchId, string sessionId, CancellationToken ct)
    {
        if (!Ids.IsValid(sessionId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Sessions.GetEntityIfExistsAsync<TableEntity>(org, SessionRow.Key(matchId, sessionId), cancellationToken: ct);
        return found.HasValue ? new SessionRow(found.Value!) : null;
    }

    /// <summary>A notice about this session, for the other side (and both, for a confirmation).</summary>
    private Notice NoticeOf(NoticeType type, MatchParty match, SessionRow row, Party by) =>
        Notice.New(type, match.Org, time.GetUtcNow()) with
        {
            RequestId = match.Match.Id, MentorId = match.MentorId, LearnerId = match.LearnerId, SessionId = row.SessionId,
            When = row.Start, Actor = match.ByStaff ? "staff" : RequestLifecycle.Code(by),
        };

    public Task<IReadOnlyList<SessionRow>> ListAsync(MatchParty match, CancellationToken ct) => ListAsync(match.Org, match.Match.Id, ct);

    /// <summary>A match's sessions: one range query on the row key.</summary>
    public async Task<IReadOnlyList<SessionRow>> ListAsync(string org, string matchId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var prefix = matchId + "|";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org} and RowKey ge {prefix} and RowKey lt {matchId + "}"}");
        var list = new List<SessionRow>();
        await foreach (var e in Sessions.QueryAsync<TableEntity>(filter, cancellationToken: ct)) list.Add(new SessionRow(e));
        return list.OrderBy(e => e.Start).ToList();
    }

    /// <summary>Applies one change to a session, checked by <see cref="SessionRules.Allows"/>; a change that no longer applies is refused with the current status.</summary>
    public async Task<SessionRow> ChangeAsync(MatchParty match, SessionRow row, SessionChange change, Party by, SessionProposal? proposal, string? videoLink, CancellationToken ct)
    {
        if (Refusal(row, change, by) is { } refused) throw refused;
        var now = time.GetUtcNow();
        var countForProgramme = false;
        var wasConfirmed = row.Status == SessionStatus.Confirmed;
        switch (change)
        {
            case SessionChange.Confirm:
                row.Status = SessionStatus.Confirmed;
                if (match.Match.ProgrammeId is not null && !row.ProgrammeCounted) row.ProgrammeCounted = countForProgramme = true;
                if (videoLink is not null) row.VideoLink = videoLink;
                row.ConfirmedAt = now;
                row.Sequence++; // tentative to confirmed is a change calendars must take (RFC 5546)
                break;
            case SessionChange.Decline:
                row.Status = SessionStatus.Declined;
                break;
            case SessionChange.Counter:
                await Set(row, proposal!, by, ct);
                row.Sequence++; // a new time for the same invitation, tentative until confirmed
                break;
            case SessionChange.Cancel:
                row.Status = SessionStatus.Cancelled;
                row.Sequence++; // RFC 5546: a cancellation raises SEQUENCE too
                row.CancelledAt = now;
                break;
        }
        row.UpdatedAt = now;
        NoticeType? told = change switch
        {
            SessionChange.Confirm => NoticeType.SessionConfirmed,
            SessionChange.Counter => wasConfirmed ? NoticeType.SessionMoved : NoticeType.SessionProposed,
            SessionChange.Cancel => NoticeType.SessionCancelled,
            _ => null, // a declined proposal: the proposer sees it on the session, and proposes again
        };
        Notice[] notices = told is { } type ? [NoticeOf(type, match, row, by)] : [];
        if (!await Outbox.TryReplaceAsync(Sessions, row.Entity, notices, ct))
            throw new RequestFailedException(412, "The session changed meanwhile.", "UpdateConditionNotSatisfied", null); // the caller reads again
        await outbox.AnnounceAsync(Table, match.Org, notices, ct);
        if (countForProgramme) await programmes.CountSessionAsync(match.Match.ProgrammeId!, ct);
        if (change == SessionChange.Confirm)
        {
            await deadlines.AddAsync(MentoringDeadlines.Kind.CheckIn, match.Org, match.Match.Id, row.SessionId, row.End, ct);
            await followUp.WatchMatchAsync(match.Org, match.Match.Id, row.Start, ct); // no session for a while after this one?
        }
        return row;
    }

    private async Task Set(SessionRow row, SessionProposal p, Party by, CancellationToken ct)
    {
        var venue = p.VenueId is { } id ? await venues.FindAsync(id, ct) : null;
        row.Status = SessionStatus.Proposed;
        row.ProposedBy = by;
        row.Start = p.Start.ToUniversalTime();
        row.End = p.Start.ToUniversalTime().AddMinutes(p.DurationMinutes);
        row.Mode = p.Mode;
        row.VideoLink = p.Mode == SessionMode.Video ? p.VideoLink : null;
        row.VenueId = p.Mode == SessionMode.InPerson ? venue?.Id : null;
        row.VenueName = p.Mode == SessionMode.InPerson ? venue?.Name : null;
        row.ConfirmedAt = null;
    }

    /// <summary>
    /// A confirmed session has ended: each side gets a pending check-in. Idempotent (the rows are upserted and an
    /// answered one is left alone); a session moved or cancelled since is left alone.
    /// </summary>
    public async Task OpenCheckInsAsync(MentoringDeadlines.Due due, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        if (await FindAsync(due.Org, due.RequestId, due.Subject ?? "", ct) is not { } session) return;
        if (session.Status != SessionStatus.Confirmed || session.End > time.GetUtcNow()) return;
        if (await MentorRequestRow.FindAsync(tables.GetTableClient(MentorRequests.Table), due.Org, due.RequestId, ct) is not { } match) return;
        foreach (var party in new[] { Party.Mentor, Party.Learner })
        {
            var key = CheckInPartition(party, due.Org, match.MentorId ?? "");
            var existing = await CheckIns.GetEntityIfExistsAsync<TableEntity>(key, session.SessionId, cancellationToken: ct);
            if (existing.HasValue) continue;
            await CheckIns.UpsertEntityAsync(CheckInRow.New(key, session, match.LearnerId, party).Entity, TableUpdateMode.Replace, ct);
        }
        // Both sides are asked, once: the notice's id is the session's, so a second run adds nothing.
        var notice = new Notice(Ids.Derive("checkin", session.SessionId), NoticeType.CheckInDue, due.Org, time.GetUtcNow(),
            RequestId: due.RequestId, MentorId: match.MentorId, LearnerId: match.LearnerId,
            SessionId: session.SessionId, When: session.Start);
        if (await Outbox.TryAddAsync(Sessions, due.Org, notice, ct)) await outbox.AnnounceAsync(Table, due.Org, [notice], ct);
    }

    public static string CheckInPartition(Party party, string org, string mentorId) => party == Party.Mentor ? $"mentor|{mentorId}" : $"ngo|{org}";

    public async Task<IReadOnlyList<CheckInRow>> PendingCheckInsAsync(string partition, string? learnerId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var filter = learnerId is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition} and Answered eq {false}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and Answered eq {false} and LearnerId eq {learnerId}");
        var list = new List<CheckInRow>();
        await foreach (var e in CheckIns.QueryAsync<TableEntity>(filter, cancellationToken: ct)) list.Add(new CheckInRow(e));
        return list.OrderBy(e => e.End).ToList();
    }

    public async Task<CheckInRow?> CheckInAsync(string partition, string sessionId, CancellationToken ct)
    {
        if (!Ids.IsValid(sessionId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await CheckIns.GetEntityIfExistsAsync<TableEntity>(partition, sessionId, cancellationToken: ct);
        return found.HasValue ? new CheckInRow(found.Value!) : null;
    }

    /// <summary>
    /// Records one side's check-in on the session and counts it in the mentor's track record (a session held once,
    /// the learner's rating into the mentor's average). A repeated answer changes nothing; a different one is refused
    /// (<see cref="CheckInAnsweredException"/>), checked on the session row under its ETag so two racing answers cannot both land.
    /// </summary>
    public async Task<CheckInRow> AnswerAsync(CheckInRow checkIn, CheckInAnswer answer, CancellationToken ct)
    {
        if (checkIn.Recorded is { } already) return Same(already, answer) ? checkIn : throw new CheckInAnsweredException(already);
        var party = checkIn.Party;
        var org = checkIn.Org;
        // The answer lands on the session row under its ETag; what follows from it is counted once, by the attempt that landed.
        var landed = await Contention.RetryAsync(async () =>
        {
            var session = new SessionRow((await Sessions.GetEntityAsync<TableEntity>(org, SessionRow.Key(checkIn.MatchId, checkIn.SessionId), cancellationToken: ct)).Value);
            if (session.AttendanceOf(party) is { } attendance) // answered meanwhile
            {
                var recorded = new CheckInAnswer(attendance, session.RatingOf(party));
                return Same(recorded, answer) ? (bool?)null : throw new CheckInAnsweredException(recorded); // the same answer: nothing more to count
            }
            session.Answer(party, answer); // the comment is shown to the NGO's staff only; never logged, never exported
            var countHeld = answer.Attendance == Attendance.Held && !session.CountedHeld;
            if (countHeld) session.CountedHeld = true;
            await Sessions.UpdateEntityAsync(session.Entity, session.ETag, TableUpdateMode.Replace, ct);
            return (bool?)countHeld;
        }, ct, maxAttempts: 6);
        if (landed is { } countHeld)
        {
            var rating = party == Party.Learner ? answer.Rating : null;
            var match = await SummariseOnMatchAsync(org, checkIn.MatchId, countHeld, rating, ct);
            if (countHeld || rating is not null) await mentors.RecordSessionAsync(match.MentorId ?? "", countHeld, rating, ct);
            await followUp.CheckInAnsweredAsync(org, checkIn.MatchId, checkIn.SessionId, answer, await ListAsync(org, checkIn.MatchId, ct), ct);
        }
        checkIn.Record(answer, time.GetUtcNow());
        await CheckIns.UpdateEntityAsync(checkIn.Entity, ETag.All, TableUpdateMode.Replace, ct);
        return checkIn;
    }

    private static bool Same(CheckInAnswer recorded, CheckInAnswer answer) => recorded.Attendance == answer.Attendance && recorded.Rating == answer.Rating;

    /// <summary>Sessions held and the learner's ratings, counted on the match's row: the training export reads them there.</summary>
    private async Task<MentorRequestRow> SummariseOnMatchAsync(string org, string matchId, bool held, int? rating, CancellationToken ct)
    {
        var requests = tables.GetTableClient(MentorRequests.Table);
        return await Contention.RetryAsync(async () =>
        {
            var match = new MentorRequestRow((await requests.GetEntityAsync<TableEntity>(org, matchId, cancellationToken: ct)).Value);
            if (!held && rating is null) return match;
            if (held) match.SessionsHeld++;
            if (rating is { } r)
            {
                match.RatingSum += r;
                match.RatingCount++;
            }
            await requests.UpdateEntityAsync(match.Entity, match.ETag, TableUpdateMode.Replace, ct);
            return match;
        }, ct, maxAttempts: 11);
    }

    /// <summary>Why this side may not make this change to the session now (see <see cref="SessionRules.Allows"/>), or null.</summary>
    public static SessionChangeRefusedException? Refusal(SessionRow row, SessionChange change, Party by)
    {
        var status = row.Status;
        return SessionRules.Allows(status, change, by, row.ProposedBy) ? null
            : new SessionChangeRefusedException(status, Texts.Format("A session that is {0} cannot be {1} {2}.", RequestLifecycle.Code(status), SessionRules.Past(change),
                by == Party.Mentor ? "by the mentor" : "by the learner"));
    }

}

public enum SessionChange { Confirm, Decline, Counter, Cancel }

public sealed class SessionChangeRefusedException(SessionStatus current, string detail) : Exception(detail)
{
    public SessionStatus Current { get; } = current;
}
