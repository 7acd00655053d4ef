using System.Globalization;

namespace Matching.Notifications.Sms;

/// <summary>What a text says: who it is from, what happened, when, and the learner's page.</summary>
/// <param name="Organisation">The learner's association, first, so that they know who writes.</param>
/// <param name="Mentor">The mentor's first name.</param>
public sealed record SmsParts(string Organisation, string? Mentor, string? When, string Page);

/// <summary>
/// The texts a learner reached by phone gets, in plain words (A2), GSM-7 and at most two segments: the news of their
/// match, their sessions (proposed, confirmed, moved, cancelled, a reminder), the check-in, and the end of the match.
/// Other notices are not for a phone.
/// </summary>
public static class SmsTexts
{
    public static bool Covers(NoticeType type) => Pattern(type) is not null;

    private static string? Pattern(NoticeType type) => type switch
    {
        NoticeType.OfferAccepted => "{0}: good news, {1} will be your mentor. Your page: {3}",
        NoticeType.SessionProposed => "{0}: {1} proposes a meeting on {2}. Answer here: {3}",
        NoticeType.SessionConfirmed => "{0}: your meeting with {1} is confirmed, {2}. Details: {3}",
        NoticeType.SessionMoved => "{0}: your meeting with {1} moves to {2}. Answer here: {3}",
        NoticeType.SessionCancelled => "{0}: your meeting with {1} on {2} is cancelled. Your page: {3}",
        NoticeType.SessionReminder => "{0}: reminder, meeting with {1} on {2}. Details: {3}",
        NoticeType.CheckInDue => "{0}: did your meeting with {1} take place? Answer here: {3}",
        NoticeType.MatchEnded => "{0}: your time with your mentor {1} is over. Thank you! {3}",
        _ => null,
    };

    /// <summary>The text in the current culture's words, GSM-7, cut to two segments (the organisation's and mentor's names first).</summary>
    public static string Compose(NoticeType type, SmsParts parts)
    {
        var pattern = Pattern(type) ?? throw new ArgumentOutOfRangeException(nameof(type), "Not a notice for a phone.");
        string Build(int nameLength) => Gsm7.Normalize(Texts.Format(pattern, Cut(parts.Organisation, nameLength), Cut(parts.Mentor ?? "", nameLength), parts.When ?? "", parts.Page));
        // Names are the only open-ended parts: shortened until the text fits in two segments.
        foreach (var length in new[] { 60, 30, 20, 12 })
            if (Build(length) is var text && Gsm7.Segments(text) <= SmsSender.MaxSegments) return text;
        return Build(8);
    }

    /// <summary>The learner's link, when their association gives it.</summary>
    public static string Link(string organisation, string url) =>
        Gsm7.Normalize(Texts.Format("{0}: here is your Matching page, to follow your meetings with your mentor: {1}", Cut(organisation, 30), url));

    /// <summary>"lundi 14 décembre à 18 h 30" or "Monday 14 December at 6:30 PM", in the learner's time zone.</summary>
    public static string When(DateTimeOffset at, string timeZone)
    {
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var z) ? z : TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var culture = CultureInfo.CurrentUICulture;
        var time = culture.TwoLetterISOLanguageName == "fr" ? "H' h 'mm" : "h:mm tt";
        return Texts.Format("{0} at {1}", local.ToString("dddd d MMMM", culture), local.ToString(time, culture));
    }

    private static string Cut(string name, int length) => name.Length <= length ? name : name[..length];
}
