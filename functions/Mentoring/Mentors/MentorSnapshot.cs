using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Matching.Engine;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>
/// Active mentors, cached per instance so that scoring never scans the table per request. Loaded on first
/// use; this instance's own writes are folded in at once; other instances' writes arrive by an incremental
/// refresh every 10 s in the background (<see cref="TableMirror"/>). Mentors are prepared (availability in UTC for the current week, bio vector)
/// once, and again when the week turns.
/// </summary>
public sealed class MentorSnapshot(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (MentorRecord Record, PreparedMentor Prepared)> _mentors = new(StringComparer.Ordinal);
    private DateTime _week = WeeklyTime.WeekStart(time.GetUtcNow());
    private TableMirror? _mirror;
    // The list scoring reads keeps each mentor in one place, so that a change rewrites one row of the snapshot's
    // columns (MentorColumns.Update) instead of rebuilding them all: every offer and answer changes a mentor's load.
    private readonly Lock _gate = new();
    private PreparedMentor[] _list = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly HashSet<int> _changed = [];
    private bool _rebuild = true;
    private volatile PreparedMentor[]? _published;

    /// <summary>Folds in one mentor's change: only that mentor is prepared again.</summary>
    public void Upsert(MentorRecord record)
    {
        _mentors[record.Profile.Id] = (record, new PreparedMentor(record.Profile, _week));
        lock (_gate)
        {
            if (_index.TryGetValue(record.Profile.Id, out var at)) _changed.Add(at);
            else _rebuild = true; // a new mentor: the list grows
            _published = null;
        }
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
            lock (_gate) { _rebuild = true; _published = null; }
        }
        if (_mirror is null)
            Interlocked.CompareExchange(ref _mirror, new TableMirror(() => tables.GetTableClient(MentorDirectory.Table), MentorDirectory.ProfileKey,
                TimeSpan.FromSeconds(10), e => Upsert(MentorDirectory.ToRecord(e)), provisioner, time), null);
        await _mirror.EnsureFreshAsync(ct);
        return (_published ?? Publish(), week);
    }

    private PreparedMentor[] Publish()
    {
        lock (_gate)
        {
            if (_published is { } already) return already;
            PreparedMentor[] next;
            if (_rebuild)
            {
                // Everyone again: those already listed keep their places, newcomers go at the end.
                var ids = _list.Select(p => p.Profile.Id).Concat(_mentors.Keys.Where(id => !_index.ContainsKey(id)).Order(StringComparer.Ordinal)).ToList();
                next = ids.Select(id => _mentors[id].Prepared).ToArray();
                _index.Clear();
                for (var i = 0; i < next.Length; i++) _index[next[i].Profile.Id] = i;
            }
            else
            {
                next = [.. _list];
                foreach (var at in _changed) next[at] = _mentors[next[at].Profile.Id].Prepared;
                MentorColumns.Update(_list, next, _changed);
            }
            (_list, _published, _rebuild) = (next, next, false);
            _changed.Clear();
            return next;
        }
    }
}
