using Azure.Data.Tables;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;

namespace Matching.Mentoring.Sessions;

/// <summary>
/// A session as an iCalendar invitation (RFC 5545/5546), in the zone of the side it is for (a TZID per party):
/// a stable UID per session, SEQUENCE raised by every reschedule, and METHOD:CANCEL with the same UID once cancelled.
/// </summary>
public static class SessionInvite
{
    public const string ContentType = "text/calendar";

    /// <summary>The invitation in the current UI culture's words (its SUMMARY and DESCRIPTION).</summary>
    public static string Build(TableEntity session, string timeZone, DateTimeOffset now)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var cancelled = SessionBook.Status(session) == SessionStatus.Cancelled;
        var start = session.GetDateTimeOffset("Start")!.Value;
        var end = session.GetDateTimeOffset("End")!.Value;
        var calendar = new Calendar { Method = cancelled ? "CANCEL" : "REQUEST", ProductId = "-//Matching//Mentoring sessions//EN" };
        calendar.AddTimeZone(timeZone);
        var mode = Enum.Parse<Engine.SessionMode>(session.GetString("Mode"));
        calendar.Events.Add(new CalendarEvent
        {
            Uid = $"{session.GetString("SessionId")}@matching",
            Sequence = session.GetInt32("Sequence") ?? 0,
            DtStamp = new CalDateTime(now.UtcDateTime, "UTC"),
            DtStart = new CalDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime, timeZone),
            DtEnd = new CalDateTime(TimeZoneInfo.ConvertTime(end, zone).DateTime, timeZone),
            Summary = Texts.Localize("Mentoring session"),
            Description = Texts.Format("A mentoring session arranged through Matching, {0}. Each side's contact is on the match.", ModeWords(mode)),
            Location = mode switch
            {
                Engine.SessionMode.InPerson => session.GetString("VenueName"),
                Engine.SessionMode.Video => session.GetString("VideoLink"),
                _ => Texts.Localize("Phone"),
            },
            Status = cancelled ? "CANCELLED" : "CONFIRMED",
        });
        return new CalendarSerializer().SerializeToString(calendar) ?? "";
    }

    private static string ModeWords(Engine.SessionMode mode) => mode switch
    {
        Engine.SessionMode.InPerson => "in person",
        Engine.SessionMode.Video => "by video",
        _ => "by phone",
    };
}
