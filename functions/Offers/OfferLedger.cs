using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Matching.Storage;

namespace Matching.Offers;

public enum LedgerErrorKind { NotFound, Conflict, IdempotencyMismatch }

/// <param name="Message">In English, with <c>{0}</c> for <paramref name="Args"/>: put in the caller's words by <see cref="Text"/>
/// when answered (a ledger batch serves several callers, in several languages).</param>
public sealed record LedgerError(LedgerErrorKind Kind, string Message, object[]? Args = null)
{
    public string Text => Texts.Format(Message, Args ?? []);
}

/// <summary>Why a change to an offer is refused: in English, with <c>{0}</c> for <paramref name="Args"/>, worded like a <see cref="LedgerError"/>.</summary>
public sealed record OfferRefusal(string Message, params object[] Args)
{
    public static implicit operator OfferRefusal(string message) => new(message);
}

/// <summary>The result of one ledger operation: a value or a domain error (storage failures are exceptions).</summary>
public sealed record LedgerResult<T>(T? Value, LedgerError? Error) where T : class
{
    public static LedgerResult<T> Ok(T value) => new(value, null);
    public static LedgerResult<T> Fail(LedgerErrorKind kind, string message, params object[] args) => new(null, new LedgerError(kind, message, args));
}

public sealed record ClaimResult(SeatClaim Claim, bool Replayed);

/// <summary>One ledger per offer per process, created on first use.</summary>
public sealed class OfferLedgers(TableServiceClient tables, StorageProvisioner provisioner, OfferCatalog catalog, Notifications.Outbox outbox,
    TimeProvider time, ILogger<OfferLedger> logger)
{
    private readonly ConcurrentDictionary<string, OfferLedger> _ledgers = new(StringComparer.Ordinal);

    public OfferLedger For(string offerId) =>
        _ledgers.GetOrAdd(offerId, id => new OfferLedger(id, tables.GetTableClient(OfferRows.Table), provisioner, catalog, outbox, time, logger));
}

/// <summary>
/// Every change to an offer's partition goes through its ledger. Within a process, operations on one offer
/// are applied by one writer at a time and grouped: a batch of waiting operations is decided in arrival
/// order against the offer's counters and written in ONE entity-group transaction whose first action
/// updates the offer row under its ETag (If-Match). Across processes the ETag serialises writers: a writer
/// whose offer row is stale gets 412, drops its cache, reloads and decides again. Because every transaction
/// carries that condition, the other rows can be written unconditionally. This is why seats confirmed plus
/// held can never exceed the total, and why a retried request with the same idempotency key finds its
/// claim: the claim's row key is derived from the NGO and the key, and is written in the same transaction.
/// </summary>
public sealed class OfferLedger
{
    private const int BatchBudget = 100;        // actions in one transaction (Table Storage's limit)
    private const int PromotionsPerBatch = 8;   // leaves room for the operations of the batch
    private const int ActionsPerPromotion = 4;  // the claim, its waitlist row, the NGO's row, the notice
    private const int ExpiriesPerBatch = 10;

    private readonly string _offerId;
    private readonly TableClient _table;
    private readonly StorageProvisioner _provisioner;
    private readonly OfferCatalog _catalog;
    private readonly Notifications.Outbox _outbox;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<LedgerOp> _pending = [];
    private bool _draining;

    // Cache, valid only together with the offer row's ETag it was read or written with.
    private OfferState? _offer;
    private ETag _offerETag;
    private readonly Dictionary<string, NgoSeats> _ngo = new(StringComparer.Ordinal);
    // Every claim id in the partition: a claim whose id is absent is new, and needs no read to know it.
    private HashSet<string>? _claimIds;

    internal OfferLedger(string offerId, TableClient table, StorageProvisioner provisioner, OfferCatalog catalog, Notifications.Outbox outbox, TimeProvider time, ILogger logger)
    {
        (_offerId, _table, _provisioner, _catalog, _outbox, _time, _logger) = (offerId, table, provisioner, catalog, outbox, time, logger);
    }

    public Task<LedgerResult<ClaimResult>> ClaimAsync(string org, ClaimRequest request, string keyHash, string bodyHash) =>
        Submit<ClaimResult>(new ClaimOp(org, request, keyHash, bodyHash));

    public Task<LedgerResult<SeatClaim>> ReleaseAsync(string org, string claimId) => Submit<SeatClaim>(new ReleaseOp(org, claimId));

    public Task<LedgerResult<SeatClaim>> ConfirmAsync(string org, string claimId, IReadOnlyList<string> beneficiaries, bool share) =>
        Submit<SeatClaim>(new ConfirmOp(org, claimId, beneficiaries, share));

    /// <summary>Changes the offer (details or status) under the same discipline; the change may refuse with a conflict.</summary>
    public Task<LedgerResult<OfferState>> ChangeOfferAsync(string providerOrg, Func<OfferState, OfferRefusal?> change) =>
        Submit<OfferState>(new ChangeOfferOp(providerOrg, change));

    /// <summary>Expires due holds (a batch at a time); the answer says how many, and whether more are due.</summary>
    public Task<LedgerResult<ExpiryResult>> ExpireHoldsAsync() => Submit<ExpiryResult>(new ExpireHoldsOp());

    public sealed record ExpiryResult(int Expired, bool More);

    private async Task<LedgerResult<T>> Submit<T>(LedgerOp op) where T : class
    {
        bool start;
        lock (_lock)
        {
            _pending.Add(op);
            start = !_draining;
            _draining = true;
        }
        if (start) _ = Task.Run(DrainAsync);
        return (LedgerResult<T>)await op.Done.Task;
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<LedgerOp> batch;
            lock (_lock)
            {
                if (_pending.Count == 0) { _draining = false; return; }
                batch = TakeBatch();
            }
            var more = await ProcessAsync(batch);
            if (more) lock (_lock) _pending.Insert(0, new PromoteOp()); // the rest of the waitlist, before newcomers
        }
    }

    private List<LedgerOp> TakeBatch()
    {
        // One transaction holds at most 100 actions: the offer row, each operation's rows, and room for
        // promotions when an operation in the batch can free seats.
        var batch = new List<LedgerOp>();
        var budget = BatchBudget - 1;
        var promotionRoom = 0;
        while (_pending.Count > 0)
        {
            var next = _pending[0];
            var room = next.CanFreeSeats ? PromotionsPerBatch * ActionsPerPromotion : 0;
            var extra = Math.Max(0, room - promotionRoom);
            if (batch.Count > 0 && next.Weight + extra > budget) break;
            budget -= next.Weight + extra;
            promotionRoom = Math.Max(promotionRoom, room);
            batch.Add(next);
            _pending.RemoveAt(0);
        }
        return batch;
    }

    /// <summary>Decides and writes one batch; retries the whole batch when another writer got there first.</summary>
    private async Task<bool> ProcessAsync(List<LedgerOp> batch)
    {
        using var activity = Platform.Telemetry.Source.StartActivity("offer.ledger.batch");
        activity?.SetTag("matching.offer.id", _offerId);
        activity?.SetTag("matching.batch.operations", batch.Count);
        activity?.SetTag("matching.batch.claims", batch.Count(op => op is ClaimOp));
        var attempt = 0;
        try
        {
            // Another process changed the partition (a lost race): forget what we knew and decide the whole batch again.
            return await Contention.RetryAsync(async () =>
            {
                activity?.SetTag("matching.batch.attempts", ++attempt);
                await _provisioner.EnsureReadyAsync();
                var work = await LoadAsync(batch);
                if (work is null)
                {
                    foreach (var op in batch) op.Complete(op.NotFound("The offer was not found."));
                    return false;
                }
                var results = new List<object>(batch.Count);
                foreach (var op in batch) results.Add(await op.ApplyAsync(work));
                await CommitAsync(work);
                await _outbox.AnnounceAsync(OfferRows.Table, _offerId, work.Notices, CancellationToken.None);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (results[i] is LedgerResult<ClaimResult> { Value: { Replayed: false } claimed })
                        Platform.Telemetry.Claims.Add(1, new KeyValuePair<string, object?>("outcome", claimed.Claim.Status.ToString().ToLowerInvariant()));
                    batch[i].Complete(results[i]);
                }
                return work.MorePromotions;
            }, CancellationToken.None, maxAttempts: 20, onLost: ResetCache);
        }
        catch (Exception ex)
        {
            if (StorageFailure.IsMissingResource(ex)) _provisioner.Invalidate();
            ResetCache();
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name);
            _logger.LogWarning("Offer ledger batch of {Count} failed: {ErrorType}", batch.Count, ex.GetType().Name);
            foreach (var op in batch) op.Done.TrySetException(ex);
            return false;
        }
    }

    private void ResetCache()
    {
        _offer = null;
        _ngo.Clear();
        _claimIds = null;
    }

    private async Task<PartitionWork?> LoadAsync(List<LedgerOp> batch)
    {
        if (_offer is null)
        {
            var head = await _table.GetEntityIfExistsAsync<TableEntity>(_offerId, OfferRows.HeadKey);
            if (!head.HasValue) return null;
            _offer = OfferRows.ToOffer(head.Value!);
            _offerETag = head.Value!.ETag;
            _ngo.Clear();
            _claimIds = null;
        }
        if (_claimIds is null)
        {
            // Read after the offer row: anything written since makes our transaction fail on its ETag.
            var ids = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var e in _table.QueryAsync<TableEntity>(OfferRows.PrefixFilter(_offerId, OfferRows.ClaimPrefix), select: ["RowKey"]))
                ids.Add(e.RowKey[OfferRows.ClaimPrefix.Length..]);
            _claimIds = ids;
        }
        var work = new PartitionWork(_offerId, _table, _offer.Copy(), new Dictionary<string, NgoSeats>(_ngo, StringComparer.Ordinal),
            _claimIds, _time.GetUtcNow());
        // Prefetch in parallel what the claims of this batch will read: NGO rows not cached, and earlier claims for retried keys.
        var claims = batch.OfType<ClaimOp>().ToArray();
        await Task.WhenAll(
            claims.Select(c => (Task)work.NgoAsync(c.Org))
                .Concat(claims.Select(c => OfferRows.ClaimIdFor(c.Org, c.KeyHash)).Where(_claimIds.Contains).Select(id => (Task)work.ClaimAsync(id))));
        return work;
    }

    private async Task CommitAsync(PartitionWork work)
    {
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, OfferRows.ToEntity(work.Offer), _offerETag),
        };
        actions.AddRange(work.RowActions());
        if (actions.Count > BatchBudget) throw new InvalidOperationException($"A ledger batch built {actions.Count} actions.");
        var response = await _table.SubmitTransactionAsync(actions);
        _offerETag = response.Value[0].Headers.ETag ?? throw new InvalidOperationException("No ETag for the offer row.");
        _offer = work.Offer;
        foreach (var (org, seats) in work.Ngo) _ngo[org] = seats;
        _claimIds?.UnionWith(work.NewClaimIds);
        _catalog.Upsert(work.Offer);
    }

    // ---- operations ----------------------------------------------------------------------------------

    internal abstract class LedgerOp
    {
        public TaskCompletionSource<object> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Most transaction actions this operation can add (promotions aside).</summary>
        public abstract int Weight { get; }
        /// <summary>Whether the operation can free seats, and so promote from the waitlist.</summary>
        public virtual bool CanFreeSeats => true;
        public abstract Task<object> ApplyAsync(PartitionWork work);
        public abstract object NotFound(string message);
        public void Complete(object result) => Done.TrySetResult(result);
    }

    private abstract class LedgerOp<T> : LedgerOp where T : class
    {
        public override object NotFound(string message) => LedgerResult<T>.Fail(LedgerErrorKind.NotFound, message);
        protected static LedgerResult<T> Ok(T value) => LedgerResult<T>.Ok(value);
        protected static LedgerResult<T> Fail(LedgerErrorKind kind, string message, params object[] args) => LedgerResult<T>.Fail(kind, message, args);
    }

    private sealed class ClaimOp(string org, ClaimRequest request, string keyHash, string bodyHash) : LedgerOp<ClaimResult>
    {
        public string Org => org;
        public string KeyHash => keyHash;
        public override int Weight => 4; // claim row, waitlist row, the NGO's row (with a fair-share cap), the notice
        public override bool CanFreeSeats => false;

        public override async Task<object> ApplyAsync(PartitionWork work)
        {
            // The claim's id is derived from the NGO and its key, so the claim row is its own idempotency record.
            // Two requests with one key can meet in one batch: the second finds the first's row here.
            var claimId = OfferRows.ClaimIdFor(org, keyHash);
            if ((work.IsKnownClaim(claimId) ? await work.ClaimAsync(claimId) : work.PendingClaim(claimId)) is { } earlier)
            {
                if (earlier.BodyHash != bodyHash)
                    return Fail(LedgerErrorKind.IdempotencyMismatch, "This Idempotency-Key was used with a different request.");
                return Ok(new ClaimResult(earlier, Replayed: true));
            }

            var offer = work.Offer;
            // A draft is not visible to NGOs: to them it does not exist, and nothing is recorded.
            if (offer.Status == OfferStatus.Draft) return Fail(LedgerErrorKind.NotFound, "The offer was not found.");
            var ngo = await work.NgoAsync(org);
            var outcome = SeatRules.Decide(offer, ngo, request, work.Now, out var ngoAfter);
            var claim = new SeatClaim
            {
                Id = claimId,
                OfferId = offer.Id,
                NgoOrg = org,
                SeatsRequested = request.Seats,
                SeatsAllocated = outcome.Status is ClaimStatus.Confirmed or ClaimStatus.Held ? outcome.Seats : 0,
                SeatsWaiting = outcome.Status == ClaimStatus.Waitlisted ? outcome.Seats : 0,
                Status = outcome.Status,
                Reason = outcome.Reason,
                AllowPartial = request.AllowPartial,
                Beneficiaries = request.Beneficiaries ?? [],
                ShareBeneficiariesWithProvider = request.ShareBeneficiariesWithProvider,
                NeedsNote = request.NeedsNote,
                Sequence = offer.NextSequence++,
                CreatedAt = work.Now,
                UpdatedAt = work.Now,
                HoldExpiresAt = outcome.HoldExpiresAt,
                BodyHash = bodyHash,
            };
            work.SetNgo(org, ngoAfter);
            work.PutClaim(claim, isNew: true);
            if (claim.Status == ClaimStatus.Waitlisted) work.Enqueue(claim);
            if (claim.Status switch
                {
                    ClaimStatus.Confirmed => Notifications.NoticeType.ClaimConfirmed, ClaimStatus.Held => Notifications.NoticeType.ClaimHeld,
                    ClaimStatus.Waitlisted => Notifications.NoticeType.ClaimWaitlisted, _ => (Notifications.NoticeType?)null,
                } is { } told) work.Tell(told, claim);
            return Ok(new ClaimResult(claim, Replayed: false));
        }
    }

    private sealed class ReleaseOp(string org, string claimId) : LedgerOp<SeatClaim>
    {
        public override int Weight => 3;

        public override async Task<object> ApplyAsync(PartitionWork work)
        {
            var claim = await work.ClaimAsync(claimId);
            if (claim is null || claim.NgoOrg != org) return Fail(LedgerErrorKind.NotFound, "The claim was not found.");
            if (claim.Status == ClaimStatus.Released) return Ok(claim); // releasing twice is harmless
            if (claim.Status is not (ClaimStatus.Confirmed or ClaimStatus.Held or ClaimStatus.Waitlisted))
                return Fail(LedgerErrorKind.Conflict, "A {0} claim has no seats to release.", claim.Status.ToString().ToLowerInvariant());
            var released = work.ReturnSeats(claim, ClaimStatus.Released);
            await work.PromoteAsync(PromotionsPerBatch);
            return Ok(released);
        }
    }

    private sealed class ConfirmOp(string org, string claimId, IReadOnlyList<string> beneficiaries, bool share) : LedgerOp<SeatClaim>
    {
        public override int Weight => 3; // the claim, the NGO's row, the notice

        public override async Task<object> ApplyAsync(PartitionWork work)
        {
            var claim = await work.ClaimAsync(claimId);
            if (claim is null || claim.NgoOrg != org) return Fail(LedgerErrorKind.NotFound, "The claim was not found.");
            if (claim.Status == ClaimStatus.Confirmed) return Ok(claim);
            if (claim.Status != ClaimStatus.Held)
                return Fail(LedgerErrorKind.Conflict, "Only a held claim can be confirmed; this one is {0}.", claim.Status.ToString().ToLowerInvariant());
            if (claim.HoldExpiresAt <= work.Now)
            {
                work.ReturnSeats(claim, ClaimStatus.Expired);
                await work.PromoteAsync(PromotionsPerBatch);
                return Fail(LedgerErrorKind.Conflict, "The hold has expired and its seats were returned.");
            }
            if (beneficiaries.Count < claim.SeatsAllocated)
                return Fail(LedgerErrorKind.Conflict, "Name {0} beneficiaries to confirm {0} seats.", claim.SeatsAllocated);
            work.Offer.Held -= claim.SeatsAllocated;
            work.Offer.Confirmed += claim.SeatsAllocated;
            var confirmed = claim with
            {
                Status = ClaimStatus.Confirmed, Beneficiaries = beneficiaries, ShareBeneficiariesWithProvider = share,
                HoldExpiresAt = null, UpdatedAt = work.Now,
            };
            work.PutClaim(confirmed, isNew: false);
            work.Tell(Notifications.NoticeType.ClaimConfirmed, confirmed);
            return Ok(confirmed);
        }
    }

    private sealed class ChangeOfferOp(string providerOrg, Func<OfferState, OfferRefusal?> change) : LedgerOp<OfferState>
    {
        public override int Weight => 1;

        public override async Task<object> ApplyAsync(PartitionWork work)
        {
            if (work.Offer.ProviderOrg != providerOrg) return Fail(LedgerErrorKind.NotFound, "The offer was not found.");
            var candidate = work.Offer.Copy();
            if (change(candidate) is { } refusal) return Fail(LedgerErrorKind.Conflict, refusal.Message, refusal.Args);
            // Per-NGO seats are kept only while there is a cap, so a cap can only come before the first claim.
            if (candidate.Details.PerNgoCap is not null && work.Offer.Details.PerNgoCap is null && work.Offer.NextSequence > 0)
                return Fail(LedgerErrorKind.Conflict, "A fair-share cap (perNgoCap) can be set only before the first claim.");
            if (candidate.Details.TotalSeats < candidate.Confirmed + candidate.Held)
                return Fail(LedgerErrorKind.Conflict, "{0} seats are confirmed or held: totalSeats cannot go below that.", candidate.Confirmed + candidate.Held);
            candidate.UpdatedAt = work.Now;
            work.ReplaceOffer(candidate);
            await work.PromoteAsync(PromotionsPerBatch);
            return Ok(work.Offer.Copy());
        }
    }

    private sealed class ExpireHoldsOp : LedgerOp<ExpiryResult>
    {
        public override int Weight => ExpiriesPerBatch * 2;

        public override async Task<object> ApplyAsync(PartitionWork work)
        {
            var due = await work.DueHoldsAsync(ExpiriesPerBatch + 1);
            foreach (var claim in due.Take(ExpiriesPerBatch)) work.ReturnSeats(claim, ClaimStatus.Expired);
            await work.PromoteAsync(PromotionsPerBatch);
            return Ok(new ExpiryResult(Math.Min(due.Count, ExpiriesPerBatch), due.Count > ExpiriesPerBatch));
        }
    }

    private sealed class PromoteOp : LedgerOp<OfferState>
    {
        public override int Weight => 0;

        public override async Task<object> ApplyAsync(PartitionWork work)
        {
            await work.PromoteAsync(PromotionsPerBatch);
            return Ok(work.Offer);
        }
    }
}
