using Matching.Engine;
using System.Collections.Concurrent;

using System.Text.Json;
using Azure.Data.Tables;
using Matching.Storage;

namespace Matching.Offers;

/// <summary>What a browse asks for.</summary>
public sealed record OfferQuery(
    string? Topic, string? Language, OfferFormat? Format, double? Latitude, double? Longitude, double? RadiusKm,
    int? MinSeats, DateTimeOffset? ClaimableAt, OfferSort Sort, int PageSize, string? ProviderOrg, bool OpenOnly);

public enum OfferSort { ClosingSoon, Newest, SeatsRemaining, Distance }

public sealed record OfferPage(IReadOnlyList<(OfferState Offer, double? DistanceKm)> Items, string? Continuation);

/// <summary>
/// Browsing without scanning the table per request: each instance keeps the offer rows (not the claims) in
/// memory. It loads them on first use, folds in its own writes at once (the ledger and the offer endpoints
/// call <see cref="Upsert"/>), and picks up other instances' writes by an incremental refresh every few
/// seconds. A page's seat counts are then read exactly from storage by the caller.
/// </summary>
public sealed class OfferCatalog(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, OfferState> _offers = new(StringComparer.Ordinal);
    private TableMirror? _mirror;

    // Last write wins: a page reads its seat counts from storage anyway, and the next refresh heals a stale row.
    public void Upsert(OfferState offer) => _offers[offer.Id] = offer.Copy();

    /// <summary>The first call loads the catalog; later calls refresh it in the background every 5 s.</summary>
    public Task EnsureLoadedAsync(CancellationToken ct)
    {
        if (_mirror is null)
            Interlocked.CompareExchange(ref _mirror, new TableMirror(() => tables.GetTableClient(OfferRows.Table), OfferRows.HeadKey,
                TimeSpan.FromSeconds(5), e => Upsert(OfferRows.ToOffer(e)), provisioner, time), null);
        return _mirror.EnsureFreshAsync(ct);
    }

    public OfferPage Search(OfferQuery q, string? continuation)
    {
        var cursor = Cursor.Parse(continuation, q);
        var matches = new List<(OfferState Offer, double? Distance, double Key)>();
        foreach (var o in _offers.Values)
        {
            if (q.ProviderOrg is not null && o.ProviderOrg != q.ProviderOrg) continue;
            if (q.OpenOnly && o.Status != OfferStatus.Open) continue;
            if (q.Format is { } f && o.Details.Format != f) continue;
            if (q.Language is { } lang && !o.Details.Languages.Contains(lang)) continue;
            if (q.Topic is { } topic && !o.Details.Topics.Any(t => Matches(t, topic))) continue;
            if (q.MinSeats is { } min && o.Remaining < min) continue;
            if (q.ClaimableAt is { } at && (at < o.Details.ClaimOpensAt || at >= o.Details.ClaimClosesAt)) continue;
            double? distance = null;
            if (q.Latitude is { } lat && q.Longitude is { } lon)
            {
                if (o.Details.Venue is not { } v) continue; // "near" asks for a place: offers without one do not match
                distance = Geo.DistanceKm(lat, lon, v.Latitude, v.Longitude);
                if (q.RadiusKm is { } r && distance > r) continue;
            }
            var key = q.Sort switch
            {
                OfferSort.ClosingSoon => o.Details.ClaimClosesAt.UtcTicks,
                OfferSort.Newest => -o.CreatedAt.UtcTicks,
                OfferSort.SeatsRemaining => -o.Remaining,
                _ => distance ?? double.MaxValue,
            };
            if (cursor is not null && (key < cursor.Key || key == cursor.Key && string.CompareOrdinal(o.Id, cursor.Id) <= 0)) continue;
            matches.Add((o, distance, key));
        }
        var page = matches.OrderBy(m => m.Key).ThenBy(m => m.Offer.Id, StringComparer.Ordinal).Take(q.PageSize + 1).ToList();
        string? next = null;
        if (page.Count > q.PageSize)
        {
            page.RemoveAt(page.Count - 1);
            next = Cursor.Format(page[^1].Key, page[^1].Offer.Id, q);
        }
        return new OfferPage(page.Select(m => (m.Offer.Copy(), m.Distance)).ToList(), next);
    }

    private static bool Matches(OfferTopic t, string topic) =>
        t.Label.Contains(topic, StringComparison.OrdinalIgnoreCase)
        || string.Equals(t.Rome, topic, StringComparison.OrdinalIgnoreCase)
        || string.Equals(t.Formacode, topic, StringComparison.Ordinal)
        || string.Equals(t.Esco, topic, StringComparison.Ordinal);

    /// <summary>Keyset continuation: the last item's sort key and id, bound to the query it came from.</summary>
    private sealed record Cursor(double Key, string Id, int Query)
    {
        // Deterministic across processes (string.GetHashCode is not), so a token works on any instance.
        private static int QueryHash(OfferQuery q) => BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(q with { PageSize = 0 }))));

        public static string Format(double key, string id, OfferQuery q) =>
            Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new Cursor(key, id, QueryHash(q))))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static Cursor? Parse(string? token, OfferQuery q)
        {
            if (string.IsNullOrEmpty(token)) return null;
            try
            {
                var b64 = token.Replace('-', '+').Replace('_', '/');
                b64 += new string('=', (4 - b64.Length % 4) % 4);
                var cursor = JsonSerializer.Deserialize<Cursor>(Convert.FromBase64String(b64));
                if (cursor is null || cursor.Query != QueryHash(q)) throw new InvalidContinuationException();
                return cursor;
            }
            catch (Exception ex) when (ex is FormatException or JsonException)
            {
                throw new InvalidContinuationException();
            }
        }
    }
}

public sealed class InvalidContinuationException() : Exception("The continuation token is not valid for this query.");
