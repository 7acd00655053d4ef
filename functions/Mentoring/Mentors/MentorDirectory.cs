using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Matching.Engine;
using Matching.Platform;
using Matching.Storage;

namespace Matching.Mentoring;

public enum OfferTake { Taken, AlreadyHeld, Full, Paused, Gone }

/// <summary>A mentor as stored: the engine's profile plus what only people see (display name, contact email).</summary>
public sealed record MentorRecord(MentorProfile Profile, string DisplayName, string ContactEmail, string? Esco, DateTimeOffset UpdatedAt);

/// <summary>
/// The <c>mentors</c> table: one partition per mentor, holding the profile row, one row per offer awaiting the
/// mentor's answer and one per active match, so that a row and the mentor's counts change in one transaction
/// (idempotent). The profile's PendingProposals counts the offers, ActiveMentees the active matches; ended
/// matches keep a row so that the mentor still finds them.
/// </summary>
public sealed class MentorDirectory(TableServiceClient tables, StorageProvisioner provisioner, MentorSnapshot snapshot, TimeProvider time)
{
    public const string Table = "mentors";
    public const string ProfileKey = "profile";
    public const string OfferPrefix = "offer|";
    public const string MatchPrefix = "match|";
    public const string EndedPrefix = "ended|";
    public const string DeclinedPrefix = "declined|";
    private TableClient Client => tables.GetTableClient(Table);

    public async Task<MentorRecord?> FindAsync(string mentorId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
        return found.HasValue && found.Value!.GetBoolean("Erased") != true ? ToRecord(found.Value!) : null;
    }

    /// <summary>
    /// Erasure: the mentor's rows go, and the profile row becomes a paused tombstone with nothing personal in it,
    /// so that every instance's snapshot (which follows changed rows) drops the mentor too.
    /// </summary>
    public async Task EraseAsync(string mentorId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        await foreach (var e in Client.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {mentorId} and RowKey ne {ProfileKey}"), cancellationToken: ct))
            await Client.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, ct);
        var tombstone = new MentorRecord(new MentorProfile(mentorId, [], [], null, null, null, 0, [], null, 0, new Availability("UTC", []), 0, 0, 0, true, null),
            "", "", null, time.GetUtcNow());
        var entity = ToEntity(tombstone);
        entity["Erased"] = true;
        entity["ErasedAt"] = time.GetUtcNow(); // tokens issued before it are refused (ErasedPeople)
        await Client.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
        snapshot.Upsert(tombstone);
    }

    /// <summary>When the mentor erased their data, or null: one point read of the profile row.</summary>
    public async Task<DateTimeOffset?> ErasedAtAsync(string mentorId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var found = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, ["Erased", "ErasedAt"], ct);
        return found.HasValue && found.Value!.GetBoolean("Erased") == true ? found.Value.GetDateTimeOffset("ErasedAt") ?? DateTimeOffset.MaxValue : null;
    }

    /// <summary>The ids of every erased mentor (their tombstones).</summary>
    public async Task<HashSet<string>> ErasedIdsAsync(CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var e in Client.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {ProfileKey} and Erased eq true"), select: ["PartitionKey"], cancellationToken: ct))
            ids.Add(e.PartitionKey);
        return ids;
    }

    /// <summary>Creates or replaces the profile; counts (mentees, pending proposals) and the track record are kept.</summary>
    public async Task<MentorRecord> SaveAsync(string mentorId, MentorProfileInput input, bool? paused, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        return await Contention.RetryAsync(async () =>
        {
            var existing = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            var current = existing.HasValue ? ToRecord(existing.Value!) : null;
            var profile = new MentorProfile(mentorId, input.Languages, input.Expertise, input.Occupation, input.Sector, input.Rome,
                input.YearsOfExperience, input.Modes, input.Home, input.TravelRadiusKm, input.Availability, input.Capacity,
                current?.Profile.ActiveMentees ?? 0, current?.Profile.PendingProposals ?? 0, paused ?? current?.Profile.Paused ?? false,
                input.Bio, input.Gender, current?.Profile.Record);
            var record = new MentorRecord(profile, input.DisplayName.Trim(), input.ContactEmail.Trim(), input.Esco, time.GetUtcNow());
            if (existing.HasValue) await Client.UpdateEntityAsync(ToEntity(record), existing.Value!.ETag, TableUpdateMode.Replace, ct);
            else await Client.AddEntityAsync(ToEntity(record), ct);
            snapshot.Upsert(record);
            return record;
        }, ct);
    }

    public async Task<MentorRecord?> SetPausedAsync(string mentorId, bool paused, CancellationToken ct)
    {
        var changed = await ChangeAsync(mentorId, p => p with { Paused = paused }, ct);
        return changed;
    }

    /// <summary>
    /// Takes one unit of the mentor's capacity for an offer, atomically with the capacity check: the offer row and
    /// the profile's count change in one transaction conditioned on the profile's ETag, so concurrent offers to one
    /// mentor never exceed their capacity. Taking the same offer twice changes nothing (AlreadyHeld).
    /// </summary>
    public async Task<OfferTake> TakeOfferAsync(string mentorId, string org, string requestId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        return await Contention.RetryAsync(async () =>
        {
            var row = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            if (!row.HasValue) return OfferTake.Gone;
            var record = ToRecord(row.Value!);
            if (record.Profile.Paused) return OfferTake.Paused;
            if (record.Profile.Load >= record.Profile.Capacity)
                return (await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, OfferKey(org, requestId), cancellationToken: ct)).HasValue
                    ? OfferTake.AlreadyHeld : OfferTake.Full;
            // The offer counts in the track record the model reads (offers made, of which accepted) in the same write.
            var track = Track(record.Profile);
            var updated = record with { Profile = record.Profile with { PendingProposals = record.Profile.PendingProposals + 1, Record = track with { Proposals = track.Proposals + 1 } } };
            try
            {
                await Client.SubmitTransactionAsync(
                [
                    new(TableTransactionActionType.Add, new TableEntity(mentorId, OfferKey(org, requestId)) { ["CreatedAt"] = time.GetUtcNow() }),
                    new(TableTransactionActionType.UpdateReplace, ToEntity(updated), row.Value!.ETag),
                ], ct);
                snapshot.Upsert(updated);
                return OfferTake.Taken;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409) { return OfferTake.AlreadyHeld; } // the offer row exists: held already
        }, ct, maxAttempts: 200, whenExhausted: () => throw new InvalidOperationException("The mentor's capacity kept changing."));
    }

    /// <summary>Gives back the capacity an offer held (declined, expired, cancelled). A second call changes nothing.</summary>
    public Task ReleaseOfferAsync(string mentorId, string org, string requestId, CancellationToken ct) =>
        MoveAsync(mentorId, OfferKey(org, requestId), addKey: null, p => p with { PendingProposals = Math.Max(0, p.PendingProposals - 1) }, ct);

    /// <summary>A declined offer gives its capacity back and leaves a marker, so that a retried decline finds what it declined.</summary>
    public Task DeclineOfferAsync(string mentorId, string org, string requestId, CancellationToken ct) =>
        MoveAsync(mentorId, OfferKey(org, requestId), $"{DeclinedPrefix}{org}|{requestId}", p => p with { PendingProposals = Math.Max(0, p.PendingProposals - 1) }, ct);

    /// <summary>
    /// An accepted offer becomes a match: the match row is added and counted as active once, and the offer row (if still
    /// there) goes with its pending unit, in one transaction on the profile's ETag. It does not depend on the offer row:
    /// the request row says the match exists, so the mentor's side is made to say so too, whatever ran before. Idempotent.
    /// </summary>
    public async Task AcceptOfferAsync(string mentorId, string org, string requestId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        string offerKey = OfferKey(org, requestId), matchKey = MatchKey(org, requestId), endedKey = $"{EndedPrefix}{org}|{requestId}";
        await Contention.RetryAsync(async () =>
        {
            var row = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            var offer = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, offerKey, cancellationToken: ct);
            var counted = (await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, matchKey, select: ["RowKey"], cancellationToken: ct)).HasValue
                || (await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, endedKey, select: ["RowKey"], cancellationToken: ct)).HasValue;
            if (!row.HasValue || row.Value!.GetBoolean("Erased") == true)
            {
                if (offer.HasValue) await Client.DeleteEntityAsync(mentorId, offerKey, ETag.All, ct); // the mentor left: nothing to count
                return true;
            }
            if (counted && !offer.HasValue) return true;
            var p = ToRecord(row.Value!).Profile;
            if (offer.HasValue) p = p with { PendingProposals = Math.Max(0, p.PendingProposals - 1) };
            if (!counted) p = p with { ActiveMentees = p.ActiveMentees + 1, Record = Track(p) with { Accepted = Track(p).Accepted + 1 } };
            var updated = ToRecord(row.Value!) with { Profile = p };
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, ToEntity(updated), row.Value!.ETag) };
            if (offer.HasValue) actions.Add(new(TableTransactionActionType.Delete, offer.Value!, offer.Value!.ETag));
            // Add, not upsert: a match row that appeared meanwhile fails the transaction, and the next read sees it.
            if (!counted) actions.Add(new(TableTransactionActionType.Add, new TableEntity(mentorId, matchKey) { ["CreatedAt"] = time.GetUtcNow() }));
            await Client.SubmitTransactionAsync(actions, ct);
            snapshot.Upsert(updated);
            return true;
        }, ct, alsoLost: true);
    }

    /// <summary>A match ended: its unit of capacity is given back. Idempotent.</summary>
    public Task EndMatchAsync(string mentorId, string org, string requestId, CancellationToken ct) =>
        MoveAsync(mentorId, MatchKey(org, requestId), $"{EndedPrefix}{org}|{requestId}", p => p with { ActiveMentees = Math.Max(0, p.ActiveMentees - 1) }, ct);

    /// <summary>Removes the row <paramref name="removeKey"/> (optionally adding <paramref name="addKey"/>) and changes the counts, in one transaction; nothing when the row is already gone.</summary>
    private async Task MoveAsync(string mentorId, string removeKey, string? addKey, Func<MentorProfile, MentorProfile> change, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        await Contention.RetryAsync(async () =>
        {
            var row = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            var held = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, removeKey, cancellationToken: ct);
            if (!held.HasValue)
            {
                // Already moved; a decline still leaves its marker, so that a retried decline finds what it declined.
                if (addKey?.StartsWith(DeclinedPrefix, StringComparison.Ordinal) == true)
                    await Client.UpsertEntityAsync(new TableEntity(mentorId, addKey) { ["CreatedAt"] = time.GetUtcNow() }, TableUpdateMode.Merge, ct);
                return;
            }
            if (!row.HasValue)
            {
                await Client.DeleteEntityAsync(mentorId, removeKey, ETag.All, ct); // the mentor left: nothing to count
                return;
            }
            var record = ToRecord(row.Value!);
            var updated = record with { Profile = change(record.Profile) };
            var actions = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.Delete, held.Value!, held.Value!.ETag),
                new(TableTransactionActionType.UpdateReplace, ToEntity(updated), row.Value!.ETag),
            };
            if (addKey is not null)
                actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(mentorId, addKey) { ["CreatedAt"] = time.GetUtcNow() }));
            await Client.SubmitTransactionAsync(actions, ct);
            snapshot.Upsert(updated);
        }, ct, alsoLost: true, maxAttempts: 50, whenExhausted: () => throw new InvalidOperationException("The mentor's counts kept changing."));
    }

    /// <summary>Which organisation's request a mentor holds a row for (offer, match, ended or declined): one partition query.</summary>
    public async Task<string?> OrgOfAsync(string mentorId, string requestId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        await foreach (var e in Client.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {mentorId} and RowKey ne {ProfileKey}"),
                           select: ["RowKey"], cancellationToken: ct))
            if (e.RowKey.Split('|') is [_, var org, var id] && id == requestId) return org;
        return null;
    }

    /// <summary>The mentor's rows of one kind (<see cref="OfferPrefix"/>, <see cref="MatchPrefix"/>, <see cref="EndedPrefix"/>): (organisation, request id, since).</summary>
    public async Task<IReadOnlyList<(string Org, string RequestId, DateTimeOffset Since)>> HeldAsync(string mentorId, string prefix, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var list = new List<(string, string, DateTimeOffset)>();
        // '|' + 1 is '}': the range covers exactly the rows with this prefix.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {mentorId} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + "}"}");
        await foreach (var e in Client.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            var parts = e.RowKey[prefix.Length..].Split('|');
            list.Add((parts[0], parts[1], e.GetDateTimeOffset("CreatedAt") ?? default));
        }
        return list;
    }

    /// <summary>The track record the model's features read: offers and accepts are counted as they are written
    /// (<see cref="TakeOfferAsync"/>, <see cref="AcceptOfferAsync"/>), sessions held and ratings from check-ins.</summary>
    public Task RecordSessionAsync(string mentorId, bool held, int? rating, CancellationToken ct) =>
        ChangeAsync(mentorId, p =>
        {
            var r = Track(p);
            if (held) r = r with { SessionsHeld = r.SessionsHeld + 1 };
            if (rating is { } x) r = r with { AverageRating = ((r.AverageRating ?? 0) * r.Ratings + x) / (r.Ratings + 1), Ratings = r.Ratings + 1 };
            return p with { Record = r };
        }, ct);

    private static TrackRecord Track(MentorProfile p) => p.Record ?? new TrackRecord(0, 0, 0, null);

    private async Task<MentorRecord?> ChangeAsync(string mentorId, Func<MentorProfile, MentorProfile> change, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        return await Contention.RetryAsync<MentorRecord?>(async () =>
        {
            var row = await Client.GetEntityIfExistsAsync<TableEntity>(mentorId, ProfileKey, cancellationToken: ct);
            if (!row.HasValue) return null;
            var record = ToRecord(row.Value!);
            var updated = record with { Profile = change(record.Profile), UpdatedAt = time.GetUtcNow() };
            await Client.UpdateEntityAsync(ToEntity(updated), row.Value!.ETag, TableUpdateMode.Replace, ct);
            snapshot.Upsert(updated);
            return updated;
        }, ct, maxAttempts: 10, whenExhausted: () => throw new InvalidOperationException("The mentor profile kept changing."));
    }

    private static string OfferKey(string org, string requestId) => $"{OfferPrefix}{org}|{requestId}";

    private static string MatchKey(string org, string requestId) => $"{MatchPrefix}{org}|{requestId}";

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
