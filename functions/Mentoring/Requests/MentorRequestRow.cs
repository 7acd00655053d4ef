using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.Engine;

namespace Matching.Mentoring;

/// <summary>
/// The mentor-request row (table <c>mentorrequests</c>, the NGO's partition, one row per request; a matched request is
/// also the match): the one place its columns are named. Changes are made on the row and written whole under its ETag
/// by the lifecycle, so the row wraps the stored entity rather than copying it. Other features ask
/// <see cref="IMentoringFacts"/>, never the row.
/// </summary>
public sealed class MentorRequestRow(TableEntity entity)
{
    public TableEntity Entity { get; } = entity;

    public static MentorRequestRow New(string org, string id) => new(new TableEntity(org, id));

    /// <summary>The request with its ETag (one point read), or null.</summary>
    public static async Task<MentorRequestRow?> FindAsync(TableClient requests, string org, string id, CancellationToken ct)
    {
        var found = await requests.GetEntityIfExistsAsync<TableEntity>(org, id, cancellationToken: ct);
        return found.HasValue ? new MentorRequestRow(found.Value!) : null;
    }

    public string Org => Entity.PartitionKey;
    public string Id => Entity.RowKey;
    public ETag ETag => Entity.ETag;

    public string LearnerId { get => Entity.GetString(nameof(LearnerId)) ?? ""; set => Entity[nameof(LearnerId)] = value; }
    public RequestStatus Status { get => Enum.Parse<RequestStatus>(Entity.GetString(nameof(Status))); set => Entity[nameof(Status)] = value.ToString(); }

    /// <summary>The columns the staff's list reads (a projection: the rest of the row stays on the server).</summary>
    public static readonly string[] SummaryColumns = ["RowKey", nameof(LearnerId), nameof(Goals), nameof(Status), nameof(CreatedAt), nameof(UpdatedAt), nameof(MatchedAt)];

    /// <summary>The request's goals, stored as a JSON array of codes.</summary>
    public IReadOnlyList<Expertise> Goals { get => List<Expertise>(nameof(Goals)); set => SetList(nameof(Goals), value); }

    public string? GoalText { get => Entity.GetString(nameof(GoalText)); set => Entity[nameof(GoalText)] = value; }
    public string? ProgrammeId { get => Entity.GetString(nameof(ProgrammeId)); set => Entity[nameof(ProgrammeId)] = value; }
    public DateTimeOffset? CreatedAt { get => Entity.GetDateTimeOffset(nameof(CreatedAt)); set => Entity[nameof(CreatedAt)] = value; }
    public DateTimeOffset? UpdatedAt { get => Entity.GetDateTimeOffset(nameof(UpdatedAt)); set => Entity[nameof(UpdatedAt)] = value; }

    // Proposals: the mentors planned in order (ids, comma-separated), what was shown, and why there are none.
    public DateTimeOffset? ProposalsExpireAt { get => Entity.GetDateTimeOffset(nameof(ProposalsExpireAt)); set => Entity[nameof(ProposalsExpireAt)] = value; }
    public IReadOnlyList<string> Planned
    {
        get => Entity.GetString(nameof(Planned)) is { Length: > 0 } p ? p.Split(',') : [];
        set => Entity[nameof(Planned)] = value.Count == 0 ? null : string.Join(',', value);
    }
    public IReadOnlyList<MentorRequests.ProposalView> Proposals { get => List<MentorRequests.ProposalView>(nameof(Proposals)); set => SetList(nameof(Proposals), value); }
    public IReadOnlyList<MentorRequests.ReasonView> Reasons { get => List<MentorRequests.ReasonView>(nameof(Reasons)); set => SetList(nameof(Reasons), value); }
    public string? Scorer { get => Entity.GetString(nameof(Scorer)); set => Entity[nameof(Scorer)] = value; }

    // The offer to one mentor.
    public string? OfferedTo { get => Entity.GetString(nameof(OfferedTo)); set => Entity[nameof(OfferedTo)] = value; }
    public DateTimeOffset? OfferedAt { get => Entity.GetDateTimeOffset(nameof(OfferedAt)); set => Entity[nameof(OfferedAt)] = value; }
    public DateTimeOffset? OfferExpiresAt { get => Entity.GetDateTimeOffset(nameof(OfferExpiresAt)); set => Entity[nameof(OfferExpiresAt)] = value; }

    // The match.
    public string? MentorId { get => Entity.GetString(nameof(MentorId)); set => Entity[nameof(MentorId)] = value; }
    public DateTimeOffset? MatchedAt { get => Entity.GetDateTimeOffset(nameof(MatchedAt)); set => Entity[nameof(MatchedAt)] = value; }
    public int SessionsHeld { get => Entity.GetInt32(nameof(SessionsHeld)) ?? 0; set => Entity[nameof(SessionsHeld)] = value; }
    public int RatingSum { get => Entity.GetInt32(nameof(RatingSum)) ?? 0; set => Entity[nameof(RatingSum)] = value; }
    public int RatingCount { get => Entity.GetInt32(nameof(RatingCount)) ?? 0; set => Entity[nameof(RatingCount)] = value; }
    public DateTimeOffset? EndedAt { get => Entity.GetDateTimeOffset(nameof(EndedAt)); set => Entity[nameof(EndedAt)] = value; }
    public string? Outcome { get => Entity.GetString(nameof(Outcome)); set => Entity[nameof(Outcome)] = value; }
    public string? EndedBy { get => Entity.GetString(nameof(EndedBy)); set => Entity[nameof(EndedBy)] = value; }
    public string? EndNote { get => Entity.GetString(nameof(EndNote)); set => Entity[nameof(EndNote)] = value; }

    /// <summary>Mentors who declined (or let the offer expire), in order; a mentor's note is for the NGO's staff only.</summary>
    public IReadOnlyList<MentoringLifecycle.Decline> Declines { get => List<MentoringLifecycle.Decline>(nameof(Declines)); set => SetList(nameof(Declines), value); }

    public IReadOnlyList<RequestHistoryEntry> History => List<RequestHistoryEntry>(nameof(History));

    public void AddHistory(RequestHistoryEntry entry) => SetList(nameof(History), History.Append(entry));

    /// <summary>The mentor is named in the request's proposals or scoring snapshots (what an erasure scrubs).</summary>
    public bool Names(string mentorId) => Entity.Any(p => p.Value is string text && (p.Key == nameof(Proposals) || p.Key.StartsWith("Round", StringComparison.Ordinal))
        && text.Contains(mentorId, StringComparison.Ordinal));

    /// <summary>How many scoring rounds are kept (<see cref="ScoringRounds"/>), and round i's JSON.</summary>
    public int Rounds { get => Entity.GetInt32(nameof(Rounds)) ?? 0; set => Entity[nameof(Rounds)] = value; }
    public string? RoundJson(int i) => Entity.GetString($"Round{i}");
    public void SetRoundJson(int i, string json) => Entity[$"Round{i}"] = json;

    // The list columns are JSON arrays, as the training file writes its values.
    private T[] List<T>(string column) => JsonSerializer.Deserialize<T[]>(Entity.GetString(column) ?? "[]", TrainingData.Json) ?? [];
    private void SetList<T>(string column, IEnumerable<T> value) => Entity[column] = JsonSerializer.Serialize(value, TrainingData.Json);
}
