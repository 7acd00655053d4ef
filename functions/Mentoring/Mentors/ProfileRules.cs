using System.Text.RegularExpressions;
using Matching.Engine;
using Matching.Platform;

namespace Matching.Mentoring;

/// <summary>What a mentor says about themself (PUT /api/mentors/me).</summary>
/// The bounds are stated for the OpenAPI document; <see cref="ProfileRules.Validate(MentorProfileInput)"/> enforces them.
public sealed record MentorProfileInput(
    [property: System.ComponentModel.DataAnnotations.StringLength(60, MinimumLength = 1)] string DisplayName,
    [property: System.ComponentModel.DataAnnotations.MaxLength(254)] string ContactEmail,
    [property: System.ComponentModel.DataAnnotations.Length(1, 10)] IReadOnlyList<LanguageSkill> Languages,
    [property: System.ComponentModel.DataAnnotations.Length(1, 8)] IReadOnlyList<Expertise> Expertise,
    Availability Availability,
    [property: System.ComponentModel.DataAnnotations.Length(1, 3)] IReadOnlyList<SessionMode> Modes,
    [property: System.ComponentModel.DataAnnotations.Range(1, 10)] int Capacity,
    [property: System.ComponentModel.DataAnnotations.MaxLength(120)] string? Occupation = null,
    [property: System.ComponentModel.DataAnnotations.MaxLength(80)] string? Sector = null,
    [property: System.ComponentModel.DataAnnotations.RegularExpression("^[A-Z][0-9]{4}$")] string? Rome = null,
    string? Esco = null,
    [property: System.ComponentModel.DataAnnotations.Range(0, 60)] int YearsOfExperience = 0,
    Place? Home = null,
    [property: System.ComponentModel.DataAnnotations.Range(0, 200)] double TravelRadiusKm = 0,
    [property: System.ComponentModel.DataAnnotations.MaxLength(1000)] string? Bio = null,
    Gender? Gender = null);

/// <summary>What matching needs to know about a learner (PUT /api/learners/{id}/profile). Nothing else.</summary>
public sealed record LearnerProfileInput(
    [property: System.ComponentModel.DataAnnotations.Length(1, 10)] IReadOnlyList<LanguageSkill> Languages,
    Availability Availability,
    [property: System.ComponentModel.DataAnnotations.Length(1, 3)] IReadOnlyList<SessionMode> Modes,
    string? TargetOccupation = null,
    string? TargetSector = null,
    string? TargetRome = null,
    Place? Place = null,
    Gender? PreferredMentorGender = null,
    [property: System.ComponentModel.DataAnnotations.MaxLength(500)] string? Notes = null,
    ContactChannel? Contact = null,
    [property: System.ComponentModel.DataAnnotations.Range(0, 200)] double TravelRadiusKm = 10);

public enum ContactKind { Email, Phone }

/// <summary>The one way of being reached that a person chose to share with their match (never before the match).</summary>
public sealed record ContactChannel(ContactKind Kind, string Value);

public static partial class ProfileRules
{
    public static Validation Validate(MentorProfileInput m)
    {
        var v = new Validation();
        v.Line(m.DisplayName, "displayName", 1, 60);
        v.Require(m.ContactEmail is { Length: <= 254 } && Email().IsMatch(m.ContactEmail), "contactEmail", "A valid email address.");
        Languages(v, m.Languages);
        v.Require(m.Expertise is { Count: >= 1 and <= 8 } && m.Expertise.All(Enum.IsDefined), "expertise", "1 to 8 of: cvReview, professionalProject, interviewPreparation, jobSearch, digitalSkills, frenchPractice, entrepreneurship, sectorKnowledge.");
        Modes(v, m.Modes);
        AvailabilityRules(v, m.Availability);
        v.Range(m.Capacity, 1, 10, "capacity");
        v.Range(m.YearsOfExperience, 0, 60, "yearsOfExperience");
        Text(v, m.Occupation, "occupation", 120);
        Text(v, m.Sector, "sector", 80);
        Text(v, m.Bio, "bio", 1000);
        v.Require(m.Rome is null || Codes.IsRome(m.Rome), "rome", "A ROME code is a letter and four digits, e.g. M1805.");
        v.Require(m.Esco is null || Codes.IsEsco(m.Esco), "esco", "An ESCO URI.");
        v.Require(m.TravelRadiusKm is >= 0 and <= 200, "travelRadiusKm", "Between 0 and 200 km.");
        if (m.Modes?.Contains(SessionMode.InPerson) == true)
        {
            v.Require(m.Home is not null, "home", "Meeting in person needs a home place.");
            v.Require(m.TravelRadiusKm > 0, "travelRadiusKm", "More than 0 km for in-person meetings.");
        }
        PlaceRules(v, m.Home, "home");
        return v;
    }

    public static Validation Validate(LearnerProfileInput l)
    {
        var v = new Validation();
        Languages(v, l.Languages);
        Modes(v, l.Modes);
        AvailabilityRules(v, l.Availability);
        Text(v, l.TargetOccupation, "targetOccupation", 120);
        Text(v, l.TargetSector, "targetSector", 80);
        Text(v, l.Notes, "notes", 500);
        v.Require(l.TargetRome is null || Codes.IsRome(l.TargetRome), "targetRome", "A ROME code is a letter and four digits, e.g. M1805.");
        if (l.Modes?.Contains(SessionMode.InPerson) == true) v.Require(l.Place is not null, "place", "Meeting in person needs a place.");
        v.Require(l.TravelRadiusKm is >= 0 and <= 200, "travelRadiusKm", "Between 0 and 200 km.");
        PlaceRules(v, l.Place, "place");
        if (l.Contact is { } c)
            v.Require(Enum.IsDefined(c.Kind) && c.Value is { Length: <= 254 } && (c.Kind == ContactKind.Email ? Email().IsMatch(c.Value) : Phone().IsMatch(c.Value)),
                "contact.value", "An email address, or a phone number in international form (+33612345678).");
        return v;
    }

    private static void Languages(Validation v, IReadOnlyList<LanguageSkill>? languages)
    {
        v.Require(languages is { Count: >= 1 and <= 10 }, "languages", "1 to 10 languages with a CEFR level.");
        for (var i = 0; i < (languages?.Count ?? 0); i++)
        {
            v.Require(languages![i] is not null && IsoLanguages.IsValid(languages[i].Language), $"languages[{i}].language", "An ISO 639-1 code, e.g. fr.");
            v.Require(languages[i] is not null && Enum.IsDefined(languages[i].Level), $"languages[{i}].level", "a1, a2, b1, b2, c1, c2 or native.");
        }
    }

    private static void Modes(Validation v, IReadOnlyList<SessionMode>? modes) =>
        v.Require(modes is { Count: >= 1 and <= 3 } && modes.All(Enum.IsDefined) && modes.Distinct().Count() == modes.Count, "modes", "1 to 3 of video, phone, inPerson.");

    public static void AvailabilityRules(Validation v, Availability? a, string field = "availability")
    {
        if (a is null) { v.Add(field, "Is required."); return; }
        v.Require(a.TimeZone is not null && WeeklyTime.IsKnownZone(a.TimeZone), field + ".timeZone", "An IANA time zone, e.g. Europe/Paris.");
        v.Require(a.Slots is { Count: >= 1 and <= 28 }, field + ".slots", "1 to 28 weekly slots.");
        for (var i = 0; i < (a.Slots?.Count ?? 0); i++)
            v.Require(a.Slots![i] is { } s && s.End > s.Start && Enum.IsDefined(s.Day), $"{field}.slots[{i}]", "A day and a start before the end, e.g. monday 18:00:00-20:00:00.");
    }

    private static void PlaceRules(Validation v, Place? p, string field)
    {
        if (p is null) return;
        v.Require(p.Latitude is >= -90 and <= 90, field + ".latitude", "Between -90 and 90.");
        v.Require(p.Longitude is >= -180 and <= 180, field + ".longitude", "Between -180 and 180.");
        v.Require(p.InseeCode is null || Codes.IsInsee(p.InseeCode), field + ".inseeCode", "An INSEE commune code, e.g. 75056.");
    }

    private static void Text(Validation v, string? value, string field, int max) => v.Line(value, field, 0, max, Texts.Format("At most {0} characters.", max));

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")] private static partial Regex Email();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")] private static partial Regex Phone();
}
