using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;

namespace Matching.Organisations;

/// <summary>
/// Each instance keeps a person's memberships for a short while, so that resolving the caller costs no storage call on
/// most requests. A change made on this instance forgets the person at once; another instance sees it within
/// <see cref="Lifetime"/>.
/// </summary>
public sealed class MembershipCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset Until, IReadOnlyList<MembershipView> Memberships)> _entries = new();

    public IReadOnlyList<MembershipView>? Get(string personId) =>
        _entries.TryGetValue(personId, out var e) && e.Until > time.GetUtcNow() ? e.Memberships : null;

    public void Set(string personId, IReadOnlyList<MembershipView> memberships)
    {
        if (_entries.Count > 100_000) _entries.Clear(); // bounded: a flood of distinct people cannot grow it without end
        _entries[personId] = (time.GetUtcNow() + Lifetime, memberships);
    }

    public void Forget(string personId) => _entries.TryRemove(personId, out _);
}
