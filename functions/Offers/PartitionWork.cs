using Azure;
using Azure.Data.Tables;

namespace Matching.Offers;

/// <summary>
/// One batch's view of an offer partition: the working copy of the counters and of every row read or
/// changed, and the row writes that the batch's transaction will carry (one action per row, its final state).
/// </summary>
internal sealed class PartitionWork(string offerId, TableClient table, OfferState offer, Dictionary<string, NgoSeats> ngo,
    IReadOnlySet<string> knownClaimIds, DateTimeOffset now)
{
    private sealed class Row(string rowKey, TableEntity? entity, bool existsInStore)
    {
        public string RowKey { get; } = rowKey;
        public TableEntity? Entity { get; set; } = entity; // null: delete
        public bool ExistsInStore { get; } = existsInStore;
        public bool Dirty { get; set; }
    }

    private readonly Dictionary<string, Row> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<TableEntity?>> _reads = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ngoDirty = new(StringComparer.Ordinal);
    private List<SeatClaim>? _waitlist;    // in arrival order; complete when _waitlistComplete
    private bool _waitlistComplete;
    private const int WaitlistPage = 50;

    public OfferState Offer { get; private set; } = offer;
    public Dictionary<string, NgoSeats> Ngo { get; } = ngo;
    public DateTimeOffset Now { get; } = now;
    public bool MorePromotions { get; private set; }

    public void ReplaceOffer(OfferState candidate) => Offer = candidate;

    /// <summary>The notices of this batch's changes, written in its transaction (the outbox) and announced after it.</summary>
    public List<Notifications.Notice> Notices { get; } = [];

    /// <summary>Tells the claiming NGO (and, through its webhooks, the offer's provider) of a claim's new status.</summary>
    public void Tell(Notifications.NoticeType type, SeatClaim claim) =>
        Notices.Add(Notifications.Notice.New(type, claim.NgoOrg, Now) with
        {
            OfferId = offerId, ClaimId = claim.Id, When = claim.HoldExpiresAt, ProviderOrg = Offer.ProviderOrg,
        });

    /// <summary>Whether a claim with this id is in storage (as of the offer row this batch started from).</summary>
    public bool IsKnownClaim(string claimId) => knownClaimIds.Contains(claimId);

    /// <summary>Claims this batch creates.</summary>
    public IEnumerable<string> NewClaimIds => _rows.Values
        .Where(r => r.Dirty && !r.ExistsInStore && r.Entity is not null && r.RowKey.StartsWith(OfferRows.ClaimPrefix, StringComparison.Ordinal))
        .Select(r => r.RowKey[OfferRows.ClaimPrefix.Length..]);

    // ---- reads (once per row per batch) --------------------------------------------------------------

    // Reads are prefetched in parallel: the dictionaries are guarded while they run.
    private readonly Lock _sync = new();

    private async Task<TableEntity?> ReadAsync(string rowKey)
    {
        Task<TableEntity?> read;
        lock (_sync)
        {
            if (_rows.TryGetValue(rowKey, out var row)) return row.Entity;
            if (!_reads.TryGetValue(rowKey, out read!)) _reads[rowKey] = read = ReadFromStoreAsync(rowKey);
        }
        var entity = await read;
        lock (_sync)
        {
            if (!_rows.ContainsKey(rowKey)) _rows[rowKey] = new Row(rowKey, entity, entity is not null);
            return _rows[rowKey].Entity;
        }
    }

    private async Task<TableEntity?> ReadFromStoreAsync(string rowKey)
    {
        var found = await table.GetEntityIfExistsAsync<TableEntity>(offerId, rowKey);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Per-NGO seats exist only for the fair-share cap; without a cap they are neither read nor written.</summary>
    private bool TracksNgoSeats => Offer.Details.PerNgoCap is not null;

    public async Task<NgoSeats> NgoAsync(string org)
    {
        if (!TracksNgoSeats) return NgoSeats.None;
        lock (_sync) if (Ngo.TryGetValue(org, out var known)) return known;
        var entity = await ReadAsync(OfferRows.NgoKey(org));
        lock (_sync)
        {
            if (Ngo.TryGetValue(org, out var seats)) return seats;
            return Ngo[org] = entity is null ? NgoSeats.None : OfferRows.ToNgoSeats(entity);
        }
    }

    /// <summary>A claim written earlier in this batch, without reading storage.</summary>
    public SeatClaim? PendingClaim(string claimId)
    {
        lock (_sync)
            return _rows.TryGetValue(OfferRows.ClaimKey(claimId), out var row) && row.Entity is { } e ? OfferRows.ToClaim(e) : null;
    }

    public async Task<SeatClaim?> ClaimAsync(string claimId)
    {
        var entity = await ReadAsync(OfferRows.ClaimKey(claimId));
        return entity is null ? null : OfferRows.ToClaim(entity);
    }

    /// <summary>Held claims whose hold has run out, oldest first.</summary>
    public async Task<List<SeatClaim>> DueHoldsAsync(int max)
    {
        var filter = OfferRows.PrefixFilter(offerId, OfferRows.ClaimPrefix)
            + " and " + TableClient.CreateQueryFilter($"Status eq {nameof(ClaimStatus.Held)} and HoldExpiresAt le {Now}");
        var due = new List<SeatClaim>();
        await foreach (var e in table.QueryAsync<TableEntity>(filter, maxPerPage: max))
        {
            var key = e.RowKey;
            if (!_rows.ContainsKey(key)) _rows[key] = new Row(key, e, true);
            if (_rows[key].Entity is { } current) due.Add(OfferRows.ToClaim(current));
            if (due.Count >= max) break;
        }
        return due.Where(c => c.Status == ClaimStatus.Held).OrderBy(c => c.HoldExpiresAt).ToList();
    }

    // ---- writes --------------------------------------------------------------------------------------

    /// <summary>Records a row's final state; <paramref name="existsInStore"/> matters only the first time the batch touches it.</summary>
    private void Put(string rowKey, TableEntity? entity, bool existsInStore)
    {
        if (!_rows.TryGetValue(rowKey, out var row)) _rows[rowKey] = row = new Row(rowKey, null, existsInStore);
        row.Entity = entity;
        row.Dirty = true;
    }

    public void PutClaim(SeatClaim claim, bool isNew) => Put(OfferRows.ClaimKey(claim.Id), OfferRows.ToEntity(claim), !isNew);

    public void SetNgo(string org, NgoSeats seats)
    {
        if (!TracksNgoSeats) return;
        Ngo[org] = seats;
        _ngoDirty.Add(org);
    }

    /// <summary>Adds a waitlisted claim at the back of the line.</summary>
    public void Enqueue(SeatClaim claim)
    {
        Put(OfferRows.WaitKey(claim.Sequence), OfferRows.WaitEntity(claim), existsInStore: false);
        // Only a complete in-memory line may grow here; otherwise newcomers are behind rows not loaded yet.
        if (_waitlist is not null && _waitlistComplete) _waitlist.Add(claim);
    }

    /// <summary>Gives back a claim's seats (or takes it off the waitlist) and records its new status.</summary>
    public SeatClaim ReturnSeats(SeatClaim claim, ClaimStatus status)
    {
        var ngo = Ngo.GetValueOrDefault(claim.NgoOrg) ?? NgoSeats.None;
        SetNgo(claim.NgoOrg, SeatRules.Return(Offer, claim, ngo));
        // (Return also updates the offer's counters, with or without per-NGO seats.)
        if (claim.Status == ClaimStatus.Waitlisted)
        {
            Put(OfferRows.WaitKey(claim.Sequence), null, existsInStore: true);
            _waitlist?.RemoveAll(c => c.Id == claim.Id);
        }
        var changed = claim with { Status = status, SeatsAllocated = 0, SeatsReleased = claim.ActiveSeats, SeatsWaiting = 0, UpdatedAt = Now, HoldExpiresAt = null };
        PutClaim(changed, isNew: false);
        return changed;
    }

    /// <summary>
    /// Serves the waitlist first-in first-out while seats remain; the head blocks those behind it. Once the offer
    /// is closed, the waitlist ends instead: each waiting claim expires with the reason <c>offer-closed</c>, page by page.
    /// </summary>
    public async Task PromoteAsync(int max)
    {
        if (Offer.Status == OfferStatus.Closed && Offer.WaitlistedClaims > 0)
        {
            await EndWaitlistAsync(max);
            return;
        }
        if (Offer.Status != OfferStatus.Open || Offer.WaitlistedClaims == 0 || Offer.Remaining <= 0) return;
        await LoadWaitlistAsync();
        var promoted = 0;
        while (_waitlist!.Count > 0 && Offer.Remaining > 0)
        {
            if (promoted == max) { MorePromotions = true; return; }
            var head = _waitlist[0];
            var grant = SeatRules.PromotionGrant(Offer, head.SeatsWaiting, head.AllowPartial);
            if (grant == 0) return;
            _waitlist.RemoveAt(0);
            var ngo = await NgoAsync(head.NgoOrg);
            Offer.WaitlistedClaims--;
            Offer.WaitlistedSeats -= head.SeatsWaiting;
            var outcome = SeatRules.Allocate(Offer, grant, head.Beneficiaries.Count, Now);
            SetNgo(head.NgoOrg, ngo with { Waitlisted = ngo.Waitlisted - head.SeatsWaiting, Active = ngo.Active + grant });
            Put(OfferRows.WaitKey(head.Sequence), null, existsInStore: true);
            PutClaim(head with
            {
                Status = outcome.Status, SeatsAllocated = grant, SeatsWaiting = 0, HoldExpiresAt = outcome.HoldExpiresAt,
                PromotedAt = Now, UpdatedAt = Now,
            }, isNew: false);
            Tell(Notifications.NoticeType.ClaimPromoted, head with { Status = outcome.Status, HoldExpiresAt = outcome.HoldExpiresAt });
            promoted++;
        }
        if (_waitlist.Count == 0 && !_waitlistComplete) MorePromotions = Offer.WaitlistedClaims > 0 && Offer.Remaining > 0;
    }

    private async Task EndWaitlistAsync(int max)
    {
        await LoadWaitlistAsync();
        var ended = 0;
        while (_waitlist!.Count > 0)
        {
            if (ended == max) { MorePromotions = true; return; }
            var head = _waitlist[0];
            await NgoAsync(head.NgoOrg); // its fair-share row, when the offer keeps them
            ReturnSeats(head with { Reason = RejectionReason.OfferClosed }, ClaimStatus.Expired); // also takes it off the line
            ended++;
        }
        if (!_waitlistComplete) MorePromotions = Offer.WaitlistedClaims > 0;
    }

    private async Task LoadWaitlistAsync()
    {
        if (_waitlist is not null) return;
        var entries = new List<TableEntity>();
        await foreach (var e in table.QueryAsync<TableEntity>(OfferRows.PrefixFilter(offerId, OfferRows.WaitPrefix), maxPerPage: WaitlistPage))
        {
            entries.Add(e);
            if (entries.Count == WaitlistPage) break;
        }
        _waitlistComplete = entries.Count < WaitlistPage;
        var line = new List<SeatClaim>();
        foreach (var entry in entries)
        {
            // Rows this batch already changed win over what storage says.
            if (_rows.TryGetValue(entry.RowKey, out var row) && row.Dirty && row.Entity is null) continue;
            if (!_rows.ContainsKey(entry.RowKey)) _rows[entry.RowKey] = new Row(entry.RowKey, entry, existsInStore: true);
            var claim = await ClaimAsync(entry.GetString("ClaimId"));
            if (claim is { Status: ClaimStatus.Waitlisted }) line.Add(claim);
        }
        // Claims waitlisted earlier in this batch are not in storage yet; they come last (highest sequences).
        foreach (var (key, row) in _rows)
            if (key.StartsWith(OfferRows.WaitPrefix, StringComparison.Ordinal) && row.Dirty && row.Entity is not null && !row.ExistsInStore && _waitlistComplete)
                if (await ClaimAsync(row.Entity.GetString("ClaimId")) is { Status: ClaimStatus.Waitlisted } fresh && line.All(c => c.Id != fresh.Id))
                    line.Add(fresh);
        _waitlist = line.OrderBy(c => c.Sequence).ToList();
    }

    /// <summary>The transaction actions for every changed row, the offer row excepted.</summary>
    public IEnumerable<TableTransactionAction> RowActions()
    {
        foreach (var org in _ngoDirty)
            Put(OfferRows.NgoKey(org), OfferRows.ToEntity(offerId, org, Ngo[org]), existsInStore: true); // upserted either way
        _ngoDirty.Clear();
        foreach (var (_, row) in _rows.Where(r => r.Value.Dirty))
        {
            if (row.Entity is null)
            {
                if (row.ExistsInStore) yield return new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(offerId, row.RowKey), ETag.All);
            }
            else if (row.ExistsInStore)
            {
                yield return new TableTransactionAction(TableTransactionActionType.UpsertReplace, row.Entity);
            }
            else
            {
                yield return new TableTransactionAction(TableTransactionActionType.Add, row.Entity);
            }
        }
        foreach (var notice in Notices) yield return new TableTransactionAction(TableTransactionActionType.Add, Notifications.Outbox.Row(offerId, notice));
    }
}
