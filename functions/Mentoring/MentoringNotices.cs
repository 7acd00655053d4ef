using Matching.Learners;
using Matching.Mentoring.Sessions;
using Matching.Notifications;

namespace Matching.Mentoring;

/// <summary>
/// What Notifications asks Mentoring (Notifications/NoticeFacts.cs): who the mentors and learners are and how to reach them,
/// a session's calendar invitation, and whether a session reminder or an expiring offer still applies when it falls due.
/// </summary>
public sealed class MentoringNotices(MentorDirectory mentors, LearnerDirectory learners, MentoringLifecycle lifecycle, SessionBook sessions,
    VenueDirectory venues, TimeProvider time) : INoticeParties, ISessionCalendar, IReminderSource
{
    public async Task<NoticePerson?> MentorAsync(string mentorId, CancellationToken ct) =>
        await mentors.FindAsync(mentorId, ct) is { } mentor ? new NoticePerson(mentor.ContactEmail, mentor.DisplayName) : null;

    /// <summary>A learner is written to only when the contact in their matching profile is an email.</summary>
    public async Task<NoticePerson?> LearnerAsync(string org, string learnerId, CancellationToken ct)
    {
        if (await learners.RowAsync(org, learnerId, ct) is not { } row) return null;
        var contact = LearnerProfiles.Read(row)?.Contact;
        return new NoticePerson(contact is { Kind: ContactKind.Email } ? contact.Value : null, row.DisplayName,
            contact is { Kind: ContactKind.Phone } ? contact.Value : null);
    }

    public async Task<string?> InvitationAsync(Notice notice, CalendarAttendee attendee, CancellationToken ct)
    {
        if (notice.RequestId is not { } matchId || notice.SessionId is not { } sessionId) return null;
        if (await sessions.FindAsync(notice.Org, matchId, sessionId, ct) is not { } session) return null;
        var venue = session.VenueId is { } venueId ? await venues.FindAsync(venueId, ct) : null;
        var people = new SessionInvite.People(attendee.OrganizerAddress, attendee.OrganizerName, attendee.Address, attendee.Name);
        return SessionInvite.Build(session, attendee.TimeZone, time.GetUtcNow(), people, venue);
    }

    public bool Handles(NoticeType kind) => kind is NoticeType.SessionReminder or NoticeType.OfferExpiring;

    /// <summary>A session reminder holds while the session is confirmed at the time reminded of; an expiring offer while
    /// it is still offered to that mentor with that deadline.</summary>
    public async Task<OutboxPlace?> StillDueAsync(NoticeType kind, Notice source, CancellationToken ct)
    {
        switch (kind)
        {
            case NoticeType.SessionReminder when source.RequestId is { } matchId && source.SessionId is { } sessionId:
                var session = await sessions.FindAsync(source.Org, matchId, sessionId, ct);
                return session is { Status: SessionStatus.Confirmed } && session.Start == source.When ? new OutboxPlace(SessionBook.Table, source.Org) : null;
            case NoticeType.OfferExpiring when source.RequestId is { } requestId:
                var request = await lifecycle.RowAsync(source.Org, requestId, ct);
                return request is { Status: RequestStatus.Offered } && request.OfferedTo == source.MentorId && request.OfferExpiresAt == source.When
                    ? new OutboxPlace(MentorRequests.Table, source.Org) : null;
            default:
                return null;
        }
    }
}
