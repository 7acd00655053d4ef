using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.Mentoring.Engine;
using Matching.Platform;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>A mentor as stored: the engine's profile plus what only people see (display name, contact email).</summary>
public sealed record MentorRecord(MentorProfile Profile, string DisplayName, string ContactEmail, string? Esco, DateTimeOffset UpdatedAt);

/// <summary>
/// The <c>mentors</c> table: one partition per mentor, holding the profile row and one row per pending
/// proposal, so that a proposal and the mentor's pending count change in one transaction (idempotent).
/// </summary>
public sealed class MentorDirectory(TableServiceClient tables, StorageProvisioner provisioner, MentorSnapshot snapshot, TimeProvider time)
{
    public const string Table = "mentors";
    public const string ProfileKey = "profile";
    public const string PendingPrefix = "pending|";
    private TableClient Client => tables.GetTableClient(Table);

    /// <summary>A mentor's id is derived from their organisation and token subject: one profile per person.</summary>
    public static string IdFor(string org, string subject) =>
        Ids.Derive(org, subject);

    public async Task<MentorRecord?> FindAsync(string mentorId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
        return found.HasValue ? ToRecord(found.Value!) : null;
    }

    /// <summary>Creates or replaces the profile; counts (mentees, pending proposals) and the track record are kept.</summary>
    public async Task<MentorRecord> SaveAsync(string mentorId, MentorProfileInput input, bool? paused, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        for (var attempt = 0; ; attempt++)
        {
            var existing = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            var current = existing.HasValue ? ToRecord(existing.Value!) : null;
            var profile = new MentorProfile(mentorId, input.Languages, input.Expertise, input.Occupation, input.Sector, input.Rome,
                input.YearsOfExperience, input.Modes, input.Home, input.TravelRadiusKm, input.Availability, input.Capacity,
                current?.Profile.ActiveMentees ?? 0, current?.Profile.PendingProposals ?? 0, paused ?? current?.Profile.Paused ?? false,
                input.Bio, input.Gender, current?.Profile.Record);
            var record = new MentorRecord(profile, input.DisplayName.Trim(), input.ContactEmail.Trim(), input.Esco, time.GetUtcNow());
            try
            {
                if (existing.HasValue) await Client.UpdateEntityAsync(ToEntity(record), existing.Value!.ETag, TableUpdateMode.Replace, ct);
                else await Client.AddEntityAsync(ToEntity(record), ct);
                snapshot.Upsert(record);
                return record;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 5) { }
        }
    }

    public async Task<MentorRecord?> SetPausedAsync(string mentorId, bool paused, CancellationToken ct)
    {
        var changed = await ChangeAsync(mentorId, p => p with { Paused = paused }, ct);
        return changed;
    }

    /// <summary>Records a pending proposal and counts it, in one transaction; a second call for the same request changes nothing.</summary>
    public async Task AddPendingAsync(string mentorId, string org, string requestId, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var row = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            if (!row.HasValue) return; // the mentor left: nothing to count
            var record = ToRecord(row.Value!);
            var updated = record with { Profile = record.Profile with { PendingProposals = record.Profile.PendingProposals + 1 } };
            try
            {
                await Client.SubmitTransactionAsync(
                [
                    new(TableTransactionActionType.Add, new TableEntity(mentorId, PendingKey(org, requestId)) { ["CreatedAt"] = time.GetUtcNow() }),
                    new(TableTransactionActionType.UpdateReplace, ToEntity(updated), row.Value!.ETag),
                ], ct);
                snapshot.Upsert(updated);
                return;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409) { return; } // already counted
            catch (TableTransactionFailedException ex) when (ex.Status == 412) { }
        }
        throw new InvalidOperationException("Could not count a pending proposal after 10 attempts.");
    }

    /// <summary>Releases a pending proposal (request cancelled); a second call changes nothing.</summary>
    public async Task RemovePendingAsync(string mentorId, string org, string requestId, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var row = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            var pending = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, PendingKey(org, requestId), cancellationToken: ct);
            if (!row.HasValue || !pending.HasValue) return;
            var record = ToRecord(row.Value!);
            var updated = record with { Profile = record.Profile with { PendingProposals = Math.Max(0, record.Profile.PendingProposals - 1) } };
            try
            {
                await Client.SubmitTransactionAsync(
                [
                    new(TableTransactionActionType.Delete, pending.Value!, pending.Value!.ETag),
                    new(TableTransactionActionType.UpdateReplace, ToEntity(updated), row.Value!.ETag),
                ], ct);
                snapshot.Upsert(updated);
                return;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 404 or 412) { }
        }
    }

    /// <summary>The requests a mentor has a pending proposal for.</summary>
    public async Task<IReadOnlyList<(string Org, string RequestId, DateTimeOffset CreatedAt)>> PendingAsync(string mentorId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<(string, string, DateTimeOffset)>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {mentorId} and RowKey ge {PendingPrefix} and RowKey lt {"pending}"}");
        await foreach (var e in Client.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            var parts = e.RowKey[PendingPrefix.Length..].Split('|');
            list.Add((parts[0], parts[1], e.GetDateTimeOffset("CreatedAt") ?? default));
        }
        return list;
    }

    private async Task<MentorRecord?> ChangeAsync(string mentorId, Func<MentorProfile, MentorProfile> change, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var row = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            if (!row.HasValue) return null;
            var record = ToRecord(row.Value!);
            var updated = record with { Profile = change(record.Profile), UpdatedAt = time.GetUtcNow() };
            try
            {
                await Client.UpdateEntityAsync(ToEntity(updated), row.Value!.ETag, TableUpdateMode.Replace, ct);
                snapshot.Upsert(updated);
                return updated;
            }
            catch (RequestFailedException ex) when (ex.Status == 412) { }
        }
        throw new InvalidOperationException("The mentor profile kept changing.");
    }

    private static string PendingKey(string org, string requestId) => $"{PendingPrefix}{org}|{requestId}";

    public static TableEntity ToEntity(MentorRecord r) => new(r.Profile.Id, ProfileKey)
    {
        ["Profile"] = JsonSerializer.Serialize(r.Profile, TrainingData.Json),
        ["DisplayName"] = r.DisplayName,
        ["ContactEmail"] = r.ContactEmail,
        ["Esco"] = r.Esco,
        ["Paused"] = r.Profile.Paused,
        ["UpdatedAt"] = r.UpdatedAt,
    };

    public static MentorRecord ToRecord(TableEntity e) => new(
        JsonSerializer.Deserialize<MentorProfile>(e.GetString("Profile"), TrainingData.Json)!,
        e.GetString("DisplayName"), e.GetString("ContactEmail"), e.GetString("Esco"), e.GetDateTimeOffset("UpdatedAt") ?? default);
}

/// <summary>
/// Active mentors, cached per instance so that scoring never scans the table per request. Loaded on first
/// use; this instance's own writes are folded in at once; other instances' writes arrive by an incremental
/// refresh every 10 s in the background (<see cref="TableMirror"/>). Mentors are prepared (availability in UTC for the current week, bio vector)
/// once, and again when the week turns.
/// </summary>
public sealed class MentorSnapshot(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (MentorRecord Record, PreparedMentor Prepared)> _mentors = new(StringComparer.Ordinal);
    private volatile PreparedMentor[]? _list;
    private DateTime _week = WeeklyTime.WeekStart(time.GetUtcNow());
    private TableMirror? _mirror;

    /// <summary>Folds in one mentor's change: only that mentor is prepared again.</summary>
    public void Upsert(MentorRecord record)
    {
        _mentors[record.Profile.Id] = (record, new PreparedMentor(record.Profile, _week));
        _list = null;
    }

    public MentorRecord? Find(string mentorId) => _mentors.TryGetValue(mentorId, out var m) ? m.Record : null;

    public async Task<(IReadOnlyList<PreparedMentor> Mentors, DateTime Week)> GetAsync(CancellationToken ct)
    {
        var week = WeeklyTime.WeekStart(time.GetUtcNow());
        if (week != _week)
        {
            // A new week: availability falls on other dates (daylight saving may have changed), prepare everyone again.
            _week = week;
            foreach (var (id, m) in _mentors) _mentors[id] = (m.Record, new PreparedMentor(m.Record.Profile, week));
            _list = null;
        }
        if (_mirror is null)
            Interlocked.CompareExchange(ref _mirror, new TableMirror(() => tables.GetTableClient(MentorDirectory.Table), MentorDirectory.ProfileKey,
                TimeSpan.FromSeconds(10), e => Upsert(MentorDirectory.ToRecord(e)), provisioner, time), null);
        await _mirror.EnsureFreshAsync(ct);
        var list = _list ??= _mentors.Values.Select(m => m.Prepared).ToArray();
        return (list, week);
    }
}
