using Matching.Engine;
using Matching.Platform;

namespace Matching.Offers;

public enum OfferFormat { VirtualClass, ELearning, OneToOne, InPerson, Blended }

/// <summary>Draft is ours only; the others map to LHEO's recruitment status (etat-recrutement).</summary>
public enum OfferStatus { Draft, Open, Suspended, Closed }

/// <summary>A subject tag, with the optional codes of the French and European taxonomies.</summary>
public sealed record OfferTopic(string Label, string? Rome = null, string? Formacode = null, string? Esco = null);

/// <summary>Where an in-person course happens: possibly a proximity coworking space in a small town.</summary>
public sealed record Venue(string Address, string InseeCode, double Latitude, double Longitude, string? Name = null);

/// <summary>What a provider says about an offer; the body of create and update. The bounds are stated for the OpenAPI
/// document; <see cref="OfferRules.Validate"/> enforces them.</summary>
public sealed record OfferDetails(
    [property: System.ComponentModel.DataAnnotations.StringLength(200, MinimumLength = 3)] string Title,
    [property: System.ComponentModel.DataAnnotations.Length(1, 20)] IReadOnlyList<OfferTopic> Topics,
    [property: System.ComponentModel.DataAnnotations.Length(1, 10)] IReadOnlyList<string> Languages,
    OfferFormat Format,
    [property: System.ComponentModel.DataAnnotations.Range(1, OfferRules.MaxSeats)] int TotalSeats,
    DateTimeOffset ClaimOpensAt,
    DateTimeOffset ClaimClosesAt,
    [property: System.ComponentModel.DataAnnotations.MaxLength(5000)] string? Description = null,
    Venue? Venue = null,
    DateOnly? CourseStart = null,
    DateOnly? CourseEnd = null,
    [property: System.ComponentModel.DataAnnotations.MaxLength(10)] IReadOnlyList<string>? TargetGroups = null,
    [property: System.ComponentModel.DataAnnotations.MaxLength(1000)] string? Eligibility = null,
    [property: System.ComponentModel.DataAnnotations.Range(1, OfferRules.MaxSeats)] int? PerNgoCap = null,
    [property: System.ComponentModel.DataAnnotations.Range(5, 14 * 24 * 60)] int HoldMinutes = OfferRules.DefaultHoldMinutes,
    bool RequiresNamedBeneficiaries = false);

/// <summary>Every rule about an offer's fields, in one place.</summary>
public static class OfferRules
{
    public const int DefaultHoldMinutes = 48 * 60;
    public const int MaxSeats = 100_000;

    public static int? LheoRecruitmentStatus(OfferStatus status) => status switch
    {
        OfferStatus.Open => 1,
        OfferStatus.Closed => 2,
        OfferStatus.Suspended => 3,
        _ => null,
    };

    /// <param name="now">When given, a claim window that has already ended is refused (nobody could claim a seat).</param>
    public static Validation Validate(OfferDetails d, Validation? into = null, DateTimeOffset? now = null)
    {
        var v = into ?? new Validation();
        Text(v, d.Title, "title", 3, 200, required: true);
        Text(v, d.Description, "description", 0, 5000);
        v.Require(d.Topics is { Count: >= 1 and <= 20 }, "topics", "Give between 1 and 20 topics.");
        for (var i = 0; i < (d.Topics?.Count ?? 0); i++)
        {
            var t = d.Topics![i];
            var f = $"topics[{i}]";
            if (t is null) { v.Add(f, "Must not be null."); continue; }
            Text(v, t.Label, f + ".label", 1, 80, required: true);
            v.Require(t.Rome is null || Codes.IsRome(t.Rome), f + ".rome", "A ROME code is a letter and four digits, e.g. M1607.");
            v.Require(t.Formacode is null || Codes.IsFormacode(t.Formacode), f + ".formacode", "A FORMACODE is five digits, e.g. 15234.");
            v.Require(t.Esco is null || Codes.IsEsco(t.Esco),
                f + ".esco", "An ESCO identifier is a URI under http://data.europa.eu/esco/.");
        }
        v.Require(d.Languages is { Count: >= 1 and <= 10 }, "languages", "Give between 1 and 10 languages.");
        for (var i = 0; i < (d.Languages?.Count ?? 0); i++)
            v.Require(IsoLanguages.IsValid(d.Languages![i]), $"languages[{i}]", "Must be an ISO 639-1 code in lower case, e.g. fr.");
        v.Require(Enum.IsDefined(d.Format), "format", "Unknown format.");
        v.Range(d.TotalSeats, 1, MaxSeats, "totalSeats");
        v.Require(d.ClaimOpensAt < d.ClaimClosesAt, "claimClosesAt", "Must be after claimOpensAt.");
        v.Require(d.ClaimClosesAt - d.ClaimOpensAt <= TimeSpan.FromDays(3 * 366), "claimClosesAt", "A claim window lasts at most three years.");
        if (now is { } n) v.Require(d.ClaimClosesAt > n, "claimClosesAt", "The claim window has already ended: claimClosesAt must be in the future.");
        if (d.CourseStart is { } start && d.CourseEnd is { } end) v.Require(start <= end, "courseEnd", "Must not be before courseStart.");
        if (d.Format == OfferFormat.InPerson) v.Require(d.Venue is not null, "venue", "An in-person offer needs a venue.");
        if (d.Venue is { } venue)
        {
            Text(v, venue.Address, "venue.address", 3, 300, required: true);
            Text(v, venue.Name, "venue.name", 0, 120);
            v.Require(Codes.IsInsee(venue.InseeCode), "venue.inseeCode", "An INSEE commune code is five characters, e.g. 75056 or 2A004.");
            v.Require(venue.Latitude is >= -90 and <= 90, "venue.latitude", "Must be between -90 and 90.");
            v.Require(venue.Longitude is >= -180 and <= 180, "venue.longitude", "Must be between -180 and 180.");
        }
        v.Require(d.TargetGroups is null || d.TargetGroups.Count <= 10, "targetGroups", "At most 10 target groups.");
        for (var i = 0; i < (d.TargetGroups?.Count ?? 0); i++) Text(v, d.TargetGroups![i], $"targetGroups[{i}]", 1, 80, required: true);
        Text(v, d.Eligibility, "eligibility", 0, 1000);
        if (d.PerNgoCap is { } cap) v.Require(cap >= 1 && cap <= d.TotalSeats, "perNgoCap", "Must be between 1 and totalSeats.");
        v.Range(d.HoldMinutes, 5, 14 * 24 * 60, "holdMinutes");
        return v;
    }

    private static void Text(Validation v, string? value, string field, int min, int max, bool required = false)
    {
        if (value is null) { if (required) v.Add(field, "Is required."); return; }
        var length = value.Trim().Length;
        v.Require(length >= min && value.Length <= max, field, min > 0 ? Texts.Format("Must be {0} to {1} characters.", min, max) : Texts.Format("Must be at most {0} characters.", max));
        v.Require(!value.Any(char.IsControl) || field is "description" or "eligibility", field, "Must not contain control characters.");
    }

}
