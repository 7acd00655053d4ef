using Azure;
using Azure.Data.Tables;

namespace Matching.Learners;

/// <summary>
/// A learner's row (table <c>learners</c>, the NGO's partition): the one place its columns are named. Other features
/// change it through <see cref="LearnerDirectory"/>'s named changes, each under the ETag they read.
/// </summary>
/// <param name="ProfileJson">The mentoring capability's matching profile, stored as its JSON; only it reads it.</param>
/// <param name="ActiveRequestId">The learner's single active mentor request (empty once it closed).</param>
/// <param name="LastRequestId">The latest request, kept once closed: the staff's list tells "ended" from "never asked" by it.</param>
/// <param name="AccessLink">The fingerprint of the learner's current access link (empty once revoked).</param>
public sealed record LearnerRow(string Org, string Id, string DisplayName, DateTimeOffset CreatedAt, string? ActiveRequestId, string? LastRequestId,
    string? ProfileJson, string? AccessLink, ETag ETag)
{
    internal const string DisplayNameColumn = "DisplayName", CreatedAtColumn = "CreatedAt", ActiveRequestColumn = "ActiveRequestId",
        LastRequestColumn = "LastRequestId", ProfileColumn = "Profile", AccessLinkColumn = "AccessLink";

    /// <summary>The columns the staff's list reads.</summary>
    internal static readonly string[] ListColumns = ["RowKey", DisplayNameColumn, CreatedAtColumn, ActiveRequestColumn, LastRequestColumn];

    public static LearnerRow From(TableEntity e) => new(e.PartitionKey, e.RowKey, e.GetString(DisplayNameColumn) ?? "", e.GetDateTimeOffset(CreatedAtColumn) ?? default,
        e.GetString(ActiveRequestColumn), e.GetString(LastRequestColumn), e.GetString(ProfileColumn), e.GetString(AccessLinkColumn), e.ETag);

    public static TableEntity New(string org, string id, string displayName, DateTimeOffset createdAt) =>
        new(org, id) { [DisplayNameColumn] = displayName, [CreatedAtColumn] = createdAt };

    /// <summary>The latest request: the last one asked, or the active one on rows older than LastRequestId.</summary>
    public string? LatestRequestId => LastRequestId is { Length: > 0 } last ? last : ActiveRequestId is { Length: > 0 } active ? active : null;

    /// <summary>What the learner's row holds, for their right of access (camelCase; the matching profile is the mentoring
    /// section's, which knows which of its notes are for staff only).</summary>
    public Dictionary<string, object?> Export()
    {
        var export = new Dictionary<string, object?> { ["displayName"] = DisplayName, ["createdAt"] = CreatedAt };
        if (ActiveRequestId is not null) export["activeRequestId"] = ActiveRequestId;
        if (LastRequestId is not null) export["lastRequestId"] = LastRequestId;
        if (AccessLink is not null) export["accessLink"] = AccessLink;
        return export;
    }
}
