namespace Matching.Notifications;

// What Notifications needs to know from the features that own the facts. Each feature answers for its own rows
// (Mentoring for mentors, learners' contacts, sessions and offers; Organisations for names; Offers for held seats), so
// Notifications reads no other feature's table and depends on none of them: the features depend on it (issue 30).

/// <summary>A person as a delivery needs them: where to write (their email, or for a learner reached by phone their number in
/// E.164) and how to greet them.</summary>
public sealed record NoticePerson(string? Email, string? DisplayName, string? Phone = null);

/// <summary>The parties of mentoring notices: mentors and learners.</summary>
public interface INoticeParties
{
    /// <summary>The mentor's contact; null when they are gone.</summary>
    Task<NoticePerson?> MentorAsync(string mentorId, CancellationToken ct);

    /// <summary>The learner's display name and their contact (an email, or a phone number); null when they are gone.</summary>
    Task<NoticePerson?> LearnerAsync(string org, string learnerId, CancellationToken ct);
}

/// <summary>The organisation a notice is about, by name.</summary>
public interface IOrganisationNames
{
    Task<string?> NameAsync(string organisationId, CancellationToken ct);
}

/// <summary>Who sends a calendar invitation and to whom, in which time zone.</summary>
public sealed record CalendarAttendee(string OrganizerAddress, string OrganizerName, string Address, string? Name, string TimeZone);

/// <summary>The calendar invitation (iCalendar text) a session's notice carries to one of its parties.</summary>
public interface ISessionCalendar
{
    /// <summary>Null when the notice names no session that still exists.</summary>
    Task<string?> InvitationAsync(Notice notice, CalendarAttendee attendee, CancellationToken ct);
}

/// <summary>Where a notice's outbox row is written: its owner's table and partition.</summary>
public sealed record OutboxPlace(string Table, string Partition);

/// <summary>Whether a reminder still applies when it falls due, answered by the feature that owns what it reminds of.</summary>
public interface IReminderSource
{
    bool Handles(NoticeType kind);

    /// <summary>Where the reminder's notice goes, or null when it no longer applies (moved, answered, released).</summary>
    Task<OutboxPlace?> StillDueAsync(NoticeType kind, Notice source, CancellationToken ct);
}

/// <summary>A table whose partitions hold outbox rows, declared by the feature that owns it (the sweep reads these).</summary>
public sealed record OutboxTable(string Name);

public static class OutboxTables
{
    /// <summary>Declares a table whose rows change with notices in the same transaction (<see cref="Outbox"/>).</summary>
    public static IServiceCollection AddOutboxTable(this IServiceCollection services, string table) => services.AddSingleton(new OutboxTable(table));
}
