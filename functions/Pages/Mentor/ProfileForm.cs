using Matching.Engine;
using Matching.Mentoring;

namespace Matching.Pages.Mentor;

/// <summary>
/// The mentor's profile as a form: read from what they posted, shown again with the rule's words beside each field.
/// The weekly availability is a grid of days and parts of the day (what a phone can tick), saved as the API's slots.
/// </summary>
public static class ProfileForm
{
    /// <summary>The parts of a day a mentor ticks, in their own time zone.</summary>
    public static readonly (string Code, string Words, TimeOnly Start, TimeOnly End)[] Parts =
    [
        ("morning", "Morning (9:00 to 12:00)", new(9, 0), new(12, 0)),
        ("afternoon", "Afternoon (14:00 to 18:00)", new(14, 0), new(18, 0)),
        ("evening", "Evening (18:00 to 21:00)", new(18, 0), new(21, 0)),
    ];

    public static readonly DayOfWeek[] Days = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    /// <summary>The zones offered: France and its overseas departments first, then its neighbours.</summary>
    public static readonly string[] Zones =
    [
        "Europe/Paris", "America/Guadeloupe", "America/Martinique", "America/Cayenne", "Indian/Reunion", "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti",
        "Europe/Brussels", "Europe/Luxembourg", "Europe/Zurich", "Europe/London", "America/Montreal", "Africa/Casablanca", "Africa/Dakar", "Africa/Abidjan", "Africa/Tunis",
    ];

    /// <summary>The languages offered first; any ISO 639-1 code is accepted by the rule.</summary>
    public static readonly string[] Languages = ["fr", "en", "ar", "es", "pt", "uk", "ru", "fa", "ps", "ti", "so", "tr", "de", "it", "ro", "zh", "wo", "bm", "ln", "ta", "bn", "ur"];

    public const int LanguageRows = 3;

    /// <summary>Whether a weekly slot covers this part of this day.</summary>
    public static bool Covers(IReadOnlyList<WeeklySlot> slots, DayOfWeek day, TimeOnly start, TimeOnly end) =>
        slots.Any(s => s.Day == day && s.Start < end && s.End > start);

    /// <summary>A first profile: the name and address the person signed in with, French, by video, one mentee.</summary>
    public static MentorProfileInput Blank(string name, string email) =>
        new(name, email, [new LanguageSkill("fr", Cefr.Native)], [], new Availability("Europe/Paris", []), [SessionMode.Video], 1);

    public static MentorProfileInput From(MentorRecord r) =>
        new(r.DisplayName, r.ContactEmail, r.Profile.Languages, r.Profile.Expertise, r.Profile.Availability, r.Profile.Modes, r.Profile.Capacity,
            r.Profile.Occupation, r.Profile.Sector, r.Profile.Rome, r.Esco, r.Profile.YearsOfExperience, r.Profile.Home, r.Profile.TravelRadiusKm, r.Profile.Bio, r.Profile.Gender);

    /// <summary>
    /// Reads the posted form. A value the form never offers becomes one the rule refuses (never a silent default), so
    /// that the same rule as the API's judges it. What the form does not show (the home place, the ROME and ESCO
    /// codes) is kept from the current profile.
    /// </summary>
    public static MentorProfileInput Read(IFormCollection form, MentorRecord? current)
    {
        var languages = new List<LanguageSkill>();
        for (var i = 0; i < LanguageRows; i++)
            if (form[$"language{i}"].ToString() is { Length: > 0 } code)
                languages.Add(new LanguageSkill(code, FormValues.Named<Cefr>(form[$"level{i}"])));
        var zone = form["timeZone"].ToString();
        var slots = new List<WeeklySlot>();
        foreach (var day in Days)
            foreach (var part in Parts)
                if (form["slot"].Contains($"{day}-{part.Code}")) slots.Add(new WeeklySlot(day, part.Start, part.End));
        return new MentorProfileInput(
            form["displayName"].ToString().Trim(), form["contactEmail"].ToString().Trim(), languages,
            form["expertise"].Select(e => FormValues.Named<Expertise>(e)).ToList(), new Availability(zone, Merge(slots)),
            form["modes"].Select(m => FormValues.Named<SessionMode>(m)).ToList(), Number(form["capacity"]),
            Optional(form["occupation"]), Optional(form["sector"]), current?.Profile.Rome, current?.Esco, Number(form["yearsOfExperience"]),
            current?.Profile.Home, Number(form["travelRadiusKm"]), Optional(form["bio"]),
            form["gender"].ToString() is { Length: > 0 } g ? FormValues.Named<Gender>(g) : null);
    }

    /// <summary>Afternoon and evening ticked together are one slot, 14:00 to 21:00.</summary>
    private static List<WeeklySlot> Merge(List<WeeklySlot> slots)
    {
        var merged = new List<WeeklySlot>();
        foreach (var s in slots)
            if (merged.Count > 0 && merged[^1].Day == s.Day && merged[^1].End == s.Start) merged[^1] = merged[^1] with { End = s.End };
            else merged.Add(s);
        return merged;
    }

    private static int Number(string? value) => int.TryParse(value, out var n) ? n : -1;

    private static string? Optional(string? value) => value?.Trim() is { Length: > 0 } v ? v : null;
}
