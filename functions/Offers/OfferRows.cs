using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;

namespace Matching.Offers;

/// <summary>
/// The rows of an offer's partition in the <c>offers</c> table (PartitionKey = offer id). Everything that
/// must change atomically (the counters, the claims, which are their own idempotency records, the waitlist,
/// the per-NGO seats) lives here, so that one entity-group transaction can change it.
/// </summary>
public static class OfferRows
{
    public const string Table = "offers";
    public const string HeadKey = "offer";
    public const string ClaimPrefix = "claim|";
    public const string WaitPrefix = "wait|";
    public const string NgoPrefix = "ngo|";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string ClaimKey(string claimId) => ClaimPrefix + claimId;
    public static string WaitKey(long sequence) => WaitPrefix + sequence.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);
    public static string NgoKey(string org) => NgoPrefix + org;
    /// <summary>A claim's id is derived from its NGO and idempotency key: a retry addresses the same row.</summary>
    public static string ClaimIdFor(string org, string keyHash) =>
        Platform.Ids.Derive(org, keyHash);

    /// <summary>Filter for the rows of one kind in one partition, by RowKey prefix.</summary>
    public static string PrefixFilter(string offerId, string prefix) => TableClient.CreateQueryFilter(
        $"PartitionKey eq {offerId} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + (char)(prefix[^1] + 1)}");

    public static TableEntity ToEntity(OfferState o) => new(o.Id, HeadKey)
    {
        ["ProviderOrg"] = o.ProviderOrg,
        ["Title"] = o.Details.Title,
        ["Description"] = o.Details.Description,
        ["Topics"] = JsonSerializer.Serialize(o.Details.Topics, Json),
        ["Languages"] = string.Join(',', o.Details.Languages),
        ["Format"] = o.Details.Format.ToString(),
        ["TotalSeats"] = o.Details.TotalSeats,
        ["ClaimOpensAt"] = o.Details.ClaimOpensAt,
        ["ClaimClosesAt"] = o.Details.ClaimClosesAt,
        ["Venue"] = o.Details.Venue is null ? null : JsonSerializer.Serialize(o.Details.Venue, Json),
        ["CourseStart"] = o.Details.CourseStart?.ToString("O"),
        ["CourseEnd"] = o.Details.CourseEnd?.ToString("O"),
        ["TargetGroups"] = o.Details.TargetGroups is null ? null : JsonSerializer.Serialize(o.Details.TargetGroups, Json),
        ["Eligibility"] = o.Details.Eligibility,
        ["PerNgoCap"] = o.Details.PerNgoCap,
        ["HoldMinutes"] = o.Details.HoldMinutes,
        ["RequiresNamedBeneficiaries"] = o.Details.RequiresNamedBeneficiaries,
        ["Status"] = o.Status.ToString(),
        ["ExternalId"] = o.ExternalId,
        ["CreatedAt"] = o.CreatedAt,
        ["UpdatedAt"] = o.UpdatedAt,
        ["Confirmed"] = o.Confirmed,
        ["Held"] = o.Held,
        ["WaitlistedClaims"] = o.WaitlistedClaims,
        ["WaitlistedSeats"] = o.WaitlistedSeats,
        ["NextSequence"] = o.NextSequence,
    };

    public static OfferState ToOffer(TableEntity e) => new()
    {
        Id = e.PartitionKey,
        ProviderOrg = e.GetString("ProviderOrg"),
        Details = new OfferDetails(
            e.GetString("Title"),
            JsonSerializer.Deserialize<OfferTopic[]>(e.GetString("Topics"), Json) ?? [],
            e.GetString("Languages").Split(',', StringSplitOptions.RemoveEmptyEntries),
            Enum.Parse<OfferFormat>(e.GetString("Format")),
            e.GetInt32("TotalSeats") ?? 0,
            e.GetDateTimeOffset("ClaimOpensAt") ?? default,
            e.GetDateTimeOffset("ClaimClosesAt") ?? default,
            e.GetString("Description"),
            e.GetString("Venue") is { } venue ? JsonSerializer.Deserialize<Venue>(venue, Json) : null,
            e.GetString("CourseStart") is { } cs ? DateOnly.Parse(cs, System.Globalization.CultureInfo.InvariantCulture) : null,
            e.GetString("CourseEnd") is { } ce ? DateOnly.Parse(ce, System.Globalization.CultureInfo.InvariantCulture) : null,
            e.GetString("TargetGroups") is { } tg ? JsonSerializer.Deserialize<string[]>(tg, Json) : null,
            e.GetString("Eligibility"),
            e.GetInt32("PerNgoCap"),
            e.GetInt32("HoldMinutes") ?? OfferRules.DefaultHoldMinutes,
            e.GetBoolean("RequiresNamedBeneficiaries") ?? false),
        Status = Enum.Parse<OfferStatus>(e.GetString("Status")),
        ExternalId = e.GetString("ExternalId"),
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
        Confirmed = e.GetInt32("Confirmed") ?? 0,
        Held = e.GetInt32("Held") ?? 0,
        WaitlistedClaims = e.GetInt32("WaitlistedClaims") ?? 0,
        WaitlistedSeats = e.GetInt32("WaitlistedSeats") ?? 0,
        NextSequence = e.GetInt64("NextSequence") ?? 0,
    };

    public static TableEntity ToEntity(SeatClaim c) => new(c.OfferId, ClaimKey(c.Id))
    {
        ["NgoOrg"] = c.NgoOrg,
        ["SeatsRequested"] = c.SeatsRequested,
        ["SeatsAllocated"] = c.SeatsAllocated,
        ["SeatsWaiting"] = c.SeatsWaiting,
        ["SeatsReleased"] = c.SeatsReleased,
        ["Status"] = c.Status.ToString(),
        ["Reason"] = c.Reason?.ToString(),
        ["AllowPartial"] = c.AllowPartial,
        ["Beneficiaries"] = JsonSerializer.Serialize(c.Beneficiaries, Json),
        ["ShareBeneficiaries"] = c.ShareBeneficiariesWithProvider,
        ["NeedsNote"] = c.NeedsNote,
        ["Sequence"] = c.Sequence,
        ["CreatedAt"] = c.CreatedAt,
        ["UpdatedAt"] = c.UpdatedAt,
        ["HoldExpiresAt"] = c.HoldExpiresAt,
        ["PromotedAt"] = c.PromotedAt,
        ["BodyHash"] = c.BodyHash,
    };

    private static bool Ended(TableEntity e) => e.GetString("Status") is nameof(ClaimStatus.Released) or nameof(ClaimStatus.Expired);

    public static SeatClaim ToClaim(TableEntity e) => new()
    {
        Id = e.RowKey[ClaimPrefix.Length..],
        OfferId = e.PartitionKey,
        NgoOrg = e.GetString("NgoOrg"),
        SeatsRequested = e.GetInt32("SeatsRequested") ?? 0,
        // Rows written before SeatsReleased kept the seats in SeatsAllocated after the release.
        SeatsAllocated = Ended(e) ? 0 : e.GetInt32("SeatsAllocated") ?? 0,
        SeatsWaiting = Ended(e) ? 0 : e.GetInt32("SeatsWaiting") ?? 0,
        SeatsReleased = e.GetInt32("SeatsReleased") ?? (Ended(e) ? e.GetInt32("SeatsAllocated") ?? 0 : 0),
        Status = Enum.Parse<ClaimStatus>(e.GetString("Status")),
        Reason = e.GetString("Reason") is { } r ? Enum.Parse<RejectionReason>(r) : null,
        AllowPartial = e.GetBoolean("AllowPartial") ?? false,
        Beneficiaries = JsonSerializer.Deserialize<string[]>(e.GetString("Beneficiaries") ?? "[]", Json) ?? [],
        ShareBeneficiariesWithProvider = e.GetBoolean("ShareBeneficiaries") ?? false,
        NeedsNote = e.GetString("NeedsNote"),
        Sequence = e.GetInt64("Sequence") ?? 0,
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
        HoldExpiresAt = e.GetDateTimeOffset("HoldExpiresAt"),
        PromotedAt = e.GetDateTimeOffset("PromotedAt"),
        BodyHash = e.GetString("BodyHash"),
    };

    public static TableEntity ToEntity(string offerId, string org, NgoSeats s) =>
        new(offerId, NgoKey(org)) { ["Active"] = s.Active, ["Waitlisted"] = s.Waitlisted };

    public static NgoSeats ToNgoSeats(TableEntity e) => new(e.GetInt32("Active") ?? 0, e.GetInt32("Waitlisted") ?? 0);

    /// <summary>A waitlist row: the claim it points to, in arrival order (RowKey = sequence).</summary>
    public static TableEntity WaitEntity(SeatClaim c) => new(c.OfferId, WaitKey(c.Sequence)) { ["ClaimId"] = c.Id };
}
