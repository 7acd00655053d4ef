using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;

namespace Matching.Mentoring.Sessions;

/// <summary>
/// A session as an iCalendar invitation (RFC 5545/5546), in the zone of the side it is for (a TZID per party):
/// a stable UID per session, SEQUENCE raised by every change (a move, a confirmation, a cancellation), STATUS
/// TENTATIVE while a time waits for confirmation, and METHOD:CANCEL with the same UID once cancelled. Both methods carry
/// the ORGANIZER (the service's own mailbox: people answer in the app, not by calendar reply) and the ATTENDEE the
/// invitation is for, as RFC 5546 requires; an in-person session carries the venue's name and address and its GEO.
/// </summary>
public static class SessionInvite
{
    public const string ContentType = "text/calendar";

    /// <summary>Who the invitation is from (a mail address) and for (a calendar address: <c>mailto:</c>, or <c>tel:</c>
    /// for a learner reached by phone), with display names.</summary>
    public sealed record People(string OrganizerAddress, string OrganizerName, string Attendee, string? AttendeeName);

    /// <summary>The calendar address of a party: their mail, else their phone.</summary>
    public static string CalendarAddress(ContactChannel contact) => (contact.Kind == ContactKind.Email ? "mailto:" : "tel:") + contact.Value;

    /// <summary>The invitation in the current UI culture's words (its SUMMARY and DESCRIPTION).</summary>
    public static string Build(SessionRow session, string timeZone, DateTimeOffset now, People people, VenueView? venue = null)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var status = session.Status;
        var cancelled = status == SessionStatus.Cancelled;
        var start = session.Start;
        var end = session.End;
        var calendar = new Calendar { Method = cancelled ? "CANCEL" : "REQUEST", ProductId = "-//Matching//Mentoring sessions//EN" };
        calendar.AddTimeZone(timeZone);
        var mode = session.Mode;
        var inPerson = mode == Engine.SessionMode.InPerson;
        var e = new CalendarEvent
        {
            Uid = $"{session.SessionId}@matching",
            Sequence = session.Sequence,
            DtStamp = new CalDateTime(now.UtcDateTime, "UTC"),
            DtStart = new CalDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime, timeZone),
            DtEnd = new CalDateTime(TimeZoneInfo.ConvertTime(end, zone).DateTime, timeZone),
            Summary = Texts.Localize("Mentoring session"),
            Description = Texts.Format("A mentoring session arranged through Matching, {0}. Each side's contact is on the match.", ModeWords(mode)),
            Location = mode switch
            {
                Engine.SessionMode.InPerson => venue?.Location ?? session.VenueName,
                Engine.SessionMode.Video => session.VideoLink,
                _ => Texts.Localize("Phone"),
            },
            GeographicLocation = inPerson && venue is not null ? new GeographicLocation(venue.Latitude, venue.Longitude) : null,
            Status = cancelled ? "CANCELLED" : status == SessionStatus.Confirmed ? "CONFIRMED" : "TENTATIVE",
            Organizer = new Organizer("mailto:" + people.OrganizerAddress) { CommonName = people.OrganizerName },
        };
        e.Attendees.Add(new Attendee(people.Attendee)
        {
            CommonName = people.AttendeeName, Role = "REQ-PARTICIPANT", Rsvp = false,
            ParticipationStatus = status == SessionStatus.Confirmed ? "ACCEPTED" : "NEEDS-ACTION",
        });
        calendar.Events.Add(e);
        return new CalendarSerializer().SerializeToString(calendar) ?? "";
    }
    private static string ModeWords(Engine.SessionMode mode) => mode switch
    {
        Engine.SessionMode.InPerson => "in person",
        Engine.SessionMode.Video => "by video",
        _ => "by phone",
    };
}
