using Azure;
using Matching.Engine;
using Azure.Data.Tables;

namespace Matching.Mentoring.Sessions;

/// <summary>
/// A session row (table <c>mentoringsessions</c>, the learner's NGO partition, row key <c>match|session</c>): the one
/// place its columns are named. Changes are made on the row and written whole under its ETag by <see cref="SessionBook"/>.
/// </summary>
public sealed class SessionRow(TableEntity entity)
{
    public TableEntity Entity { get; } = entity;

    public static SessionRow New(string org, string matchId, string sessionId, DateTimeOffset createdAt) =>
        new(new TableEntity(org, Key(matchId, sessionId))) { MatchId = matchId, SessionId = sessionId, Sequence = 0, CreatedAt = createdAt };

    public static string Key(string matchId, string sessionId) => $"{matchId}|{sessionId}";

    public string Org => Entity.PartitionKey;
    public ETag ETag => Entity.ETag;

    public string MatchId { get => Entity.GetString(nameof(MatchId)) ?? ""; set => Entity[nameof(MatchId)] = value; }
    public string SessionId { get => Entity.GetString(nameof(SessionId)) ?? ""; set => Entity[nameof(SessionId)] = value; }
    public SessionStatus Status { get => Enum.Parse<SessionStatus>(Entity.GetString(nameof(Status))); set => Entity[nameof(Status)] = value.ToString(); }
    public Party ProposedBy { get => Enum.Parse<Party>(Entity.GetString(nameof(ProposedBy))); set => Entity[nameof(ProposedBy)] = value.ToString(); }
    public DateTimeOffset Start { get => Entity.GetDateTimeOffset(nameof(Start)) ?? default; set => Entity[nameof(Start)] = value; }
    public DateTimeOffset End { get => Entity.GetDateTimeOffset(nameof(End)) ?? default; set => Entity[nameof(End)] = value; }
    public SessionMode Mode { get => Enum.Parse<SessionMode>(Entity.GetString(nameof(Mode))); set => Entity[nameof(Mode)] = value.ToString(); }
    public string? VideoLink { get => Entity.GetString(nameof(VideoLink)); set => Entity[nameof(VideoLink)] = value; }
    public string? VenueId { get => Entity.GetString(nameof(VenueId)); set => Entity[nameof(VenueId)] = value; }
    public string? VenueName { get => Entity.GetString(nameof(VenueName)); set => Entity[nameof(VenueName)] = value; }

    /// <summary>The calendar invitation's SEQUENCE: raised at every change the parties' calendars must take (RFC 5546).</summary>
    public int Sequence { get => Entity.GetInt32(nameof(Sequence)) ?? 0; set => Entity[nameof(Sequence)] = value; }
    public DateTimeOffset? CreatedAt { get => Entity.GetDateTimeOffset(nameof(CreatedAt)); set => Entity[nameof(CreatedAt)] = value; }
    public DateTimeOffset? UpdatedAt { get => Entity.GetDateTimeOffset(nameof(UpdatedAt)); set => Entity[nameof(UpdatedAt)] = value; }
    public DateTimeOffset? ConfirmedAt { get => Entity.GetDateTimeOffset(nameof(ConfirmedAt)); set => Entity[nameof(ConfirmedAt)] = value; }
    public DateTimeOffset? CancelledAt { get => Entity.GetDateTimeOffset(nameof(CancelledAt)); set => Entity[nameof(CancelledAt)] = value; }

    /// <summary>A programme counts each session once, however often it is moved and confirmed again.</summary>
    public bool ProgrammeCounted { get => Entity.GetBoolean(nameof(ProgrammeCounted)) == true; set => Entity[nameof(ProgrammeCounted)] = value; }

    /// <summary>Counted as held in the mentor's track record (once, whichever side said so first).</summary>
    public bool CountedHeld { get => Entity.GetBoolean(nameof(CountedHeld)) == true; set => Entity[nameof(CountedHeld)] = value; }

    // Each side's check-in, kept on the session: attendance, rating 1-5, and a comment shown to the NGO's staff only.
    public Attendance? AttendanceOf(Party p) => Entity.GetString($"{p}Attendance") is { } a ? Enum.Parse<Attendance>(a) : null;
    public int? RatingOf(Party p) => Entity.GetInt32($"{p}Rating");
    public string? CommentOf(Party p) => Entity.GetString($"{p}Comment");

    public void Answer(Party p, CheckInAnswer answer)
    {
        Entity[$"{p}Attendance"] = answer.Attendance.ToString();
        Entity[$"{p}Rating"] = answer.Rating;
        Entity[$"{p}Comment"] = answer.Comment;
    }

    /// <summary>Forgets a side's comment (an erasure keeps the facts, not the words).</summary>
    public void ForgetComment(Party p) => Entity[$"{p}Comment"] = null;
}

/// <summary>
/// A pending or answered check-in (table <c>mentoringcheckins</c>, partition <c>mentor|{id}</c> or <c>ngo|{org}</c>, row key
/// the session id): the one place its columns are named.
/// </summary>
public sealed class CheckInRow(TableEntity entity)
{
    public TableEntity Entity { get; } = entity;

    public static CheckInRow New(string partition, SessionRow session, string learnerId, Party party) =>
        new(new TableEntity(partition, session.SessionId)
        {
            [nameof(Org)] = session.Org, [nameof(MatchId)] = session.MatchId, [nameof(LearnerId)] = learnerId, [nameof(Party)] = party.ToString(),
            [nameof(Start)] = session.Start, [nameof(End)] = session.End, [nameof(Answered)] = false,
        });

    public string SessionId => Entity.RowKey;
    public string Org => Entity.GetString(nameof(Org)) ?? "";
    public string MatchId => Entity.GetString(nameof(MatchId)) ?? "";
    public string LearnerId => Entity.GetString(nameof(LearnerId)) ?? "";
    public Party Party => Enum.Parse<Party>(Entity.GetString(nameof(Party)));
    public DateTimeOffset Start => Entity.GetDateTimeOffset(nameof(Start)) ?? default;
    public DateTimeOffset End => Entity.GetDateTimeOffset(nameof(End)) ?? default;
    public bool Answered => Entity.GetBoolean(nameof(Answered)) == true;

    /// <summary>The answer recorded, once answered.</summary>
    public CheckInAnswer? Recorded => Answered ? new CheckInAnswer(Enum.Parse<Attendance>(Entity.GetString("Attendance")), Entity.GetInt32("Rating")) : null;

    public void Record(CheckInAnswer answer, DateTimeOffset at)
    {
        Entity[nameof(Answered)] = true;
        Entity["Attendance"] = answer.Attendance.ToString();
        Entity["Rating"] = answer.Rating;
        Entity["AnsweredAt"] = at;
    }
}
