using System.Buffers;
using System.Runtime.CompilerServices;

namespace Matching.Engine;

/// <summary>
/// A mentor snapshot as columns (struct of arrays), built once per snapshot: what the filters and the features read
/// of each mentor, with every per-mentor part of a feature computed ahead and strings made small integers (languages,
/// sectors, ROME codes compared by id). <see cref="Pass"/> runs the filters and the features of one request
/// against every mentor in one pass over these arrays, with no allocation per pair. It gives exactly what
/// <see cref="Filters.Check"/> and <see cref="PairFeatures.Compute"/> give (tests check it on the synthetic world);
/// those stay the reference, and what training reads.
/// </summary>
public sealed class MentorColumns
{
    private const int Video = 1 << (int)SessionMode.Video, Phone = 1 << (int)SessionMode.Phone, InPerson = 1 << (int)SessionMode.InPerson;
    private static readonly ConditionalWeakTable<IReadOnlyList<PreparedMentor>, MentorColumns> Built = new();

    private readonly Dictionary<string, int> _languageIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _sectorIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _romeIds = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<PreparedMentor> Mentors { get; }
    private readonly string[] _id;
    private readonly bool[] _paused;
    private readonly int[] _gender;            // -1: not given
    private readonly int[] _modes;             // bit per SessionMode
    private readonly int[] _expertise;         // bit per Expertise
    private readonly (int Id, int Level)[][] _languages; // mentor m's languages, ids from _languageIds
    private readonly ulong[] _usableLanguages;           // bit per language id below 64 spoken at MentorMinimum or more
    private readonly bool[] _manyLanguages;              // a language id of 64 or more: the bits cannot tell, read the list
    private readonly bool[] _hasHome;
    private readonly double[] _latitude, _longitude, _cosLatitude, _radius;
    private readonly int[] _load, _capacity;
    private readonly int[] _sector, _rome, _romeDomain; // -1: none
    private readonly TextVector?[] _occupation;
    private readonly WeeklyTime[] _time;
    private readonly TextVector[] _bio;
    private readonly float[] _loadFeature, _acceptance, _rating, _experience, _followThrough, _active, _capacityFeature, _french;
    private readonly float[] _offers;              // per mentor, the features from Offers to ExpertiseOffered as they are written: one copy a pair
    private readonly double[] _offset;            // hours from UTC in the reference week

    private const int OffersWidth = PairFeatures.ExpertiseOffered - PairFeatures.Offers + 1;

    private MentorColumns(IReadOnlyList<PreparedMentor> mentors)
    {
        Mentors = mentors;
        var n = mentors.Count;
        (_id, _paused, _gender, _modes, _expertise) = (new string[n], new bool[n], new int[n], new int[n], new int[n]);
        (_languages, _hasHome, _latitude, _longitude, _cosLatitude, _radius) = (new (int, int)[n][], new bool[n], new double[n], new double[n], new double[n], new double[n]);
        (_load, _capacity, _sector, _rome, _romeDomain) = (new int[n], new int[n], new int[n], new int[n], new int[n]);
        (_occupation, _time, _bio) = (new TextVector?[n], new WeeklyTime[n], new TextVector[n]);
        (_loadFeature, _acceptance, _rating, _experience) = (new float[n], new float[n], new float[n], new float[n]);
        (_followThrough, _active, _capacityFeature, _offset) = (new float[n], new float[n], new float[n], new double[n]);
        (_usableLanguages, _manyLanguages, _offers, _french) = (new ulong[n], new bool[n], new float[n * OffersWidth], new float[n]);
        for (var i = 0; i < n; i++) Fill(i, mentors[i]);
    }

    /// <summary>A copy with the rows of <paramref name="changed"/> read again from <paramref name="mentors"/> (the same mentors, in the same places).</summary>
    private MentorColumns(MentorColumns from, IReadOnlyList<PreparedMentor> mentors, IEnumerable<int> changed)
    {
        Mentors = mentors;
        _languageIds = new(from._languageIds, StringComparer.OrdinalIgnoreCase);
        _sectorIds = new(from._sectorIds, StringComparer.OrdinalIgnoreCase);
        _romeIds = new(from._romeIds, StringComparer.OrdinalIgnoreCase);
        (_id, _paused, _gender, _modes, _expertise) = ([.. from._id], [.. from._paused], [.. from._gender], [.. from._modes], [.. from._expertise]);
        (_languages, _hasHome, _latitude, _longitude, _cosLatitude, _radius) = ([.. from._languages], [.. from._hasHome], [.. from._latitude], [.. from._longitude], [.. from._cosLatitude], [.. from._radius]);
        (_load, _capacity, _sector, _rome, _romeDomain) = ([.. from._load], [.. from._capacity], [.. from._sector], [.. from._rome], [.. from._romeDomain]);
        (_occupation, _time, _bio) = ([.. from._occupation], [.. from._time], [.. from._bio]);
        (_loadFeature, _acceptance, _rating, _experience) = ([.. from._loadFeature], [.. from._acceptance], [.. from._rating], [.. from._experience]);
        (_followThrough, _active, _capacityFeature, _offset) = ([.. from._followThrough], [.. from._active], [.. from._capacityFeature], [.. from._offset]);
        (_usableLanguages, _manyLanguages, _offers, _french) = ([.. from._usableLanguages], [.. from._manyLanguages], [.. from._offers], [.. from._french]);
        foreach (var i in changed) Fill(i, mentors[i]);
    }

    /// <summary>Row <paramref name="i"/>: what the filters and the features read of one mentor.</summary>
    private void Fill(int i, PreparedMentor prepared)
    {
        var m = prepared.Profile;
        _id[i] = m.Id;
        _paused[i] = m.Paused;
        _gender[i] = m.Gender is { } g ? (int)g : -1;
        (_modes[i], _expertise[i]) = (0, 0);
        foreach (var mode in m.Modes) _modes[i] |= 1 << (int)mode;
        foreach (var e in m.Expertise) _expertise[i] |= 1 << (int)e;
        _languages[i] = m.Languages.Select(l => (Id(_languageIds, l.Language), (int)l.Level)).ToArray();
        (_usableLanguages[i], _manyLanguages[i]) = (0, false);
        foreach (var (language, level) in _languages[i])
            if (language >= 64) _manyLanguages[i] = true;
            else if (level >= (int)Filters.MentorMinimum) _usableLanguages[i] |= 1UL << language;
        (_hasHome[i], _latitude[i], _longitude[i], _radius[i]) = (m.Home is not null, m.Home?.Latitude ?? 0, m.Home?.Longitude ?? 0, m.TravelRadiusKm);
        _cosLatitude[i] = Geo.CosLatitude(_latitude[i]);
        (_load[i], _capacity[i]) = (m.Load, m.Capacity);
        _sector[i] = m.Sector is { } s ? Id(_sectorIds, s.Trim()) : -1;
        _rome[i] = m.Rome is { } r ? Id(_romeIds, r) : -1;
        _romeDomain[i] = m.Rome is { Length: >= 3 } rd ? Id(_romeIds, rd[..3]) : -1;
        _occupation[i] = m.Occupation is { } o ? TextVector.From(o) : null;
        (_time[i], _bio[i]) = (prepared.Time, prepared.Bio);
        // The features that depend on the mentor alone, as PairFeatures computes them.
        _loadFeature[i] = m.Capacity <= 0 ? 1 : Math.Min(1, (float)m.Load / m.Capacity);
        _acceptance[i] = m.Record is { } record ? (record.Accepted + 1f) / (record.Proposals + 2f) : 0.5f;
        _rating[i] = m.Record?.AverageRating is { } rating ? (float)Math.Clamp((rating - 1) / 4, 0, 1) : 0.5f;
        _experience[i] = Math.Min(30, Math.Max(0, m.YearsOfExperience)) / 30f;
        _followThrough[i] = PairFeatures.FollowThroughOf(m);
        _active[i] = PairFeatures.Scaled(m.ActiveMentees, PairFeatures.MenteeScale);
        _capacityFeature[i] = PairFeatures.Scaled(m.Capacity, PairFeatures.MenteeScale);
        _offset[i] = prepared.UtcOffsetHours;
        for (var e = 0; e < PairFeatures.ExpertiseKinds; e++) _offers[i * OffersWidth + e] = (_expertise[i] >> e) & 1;
        _offers[i * OffersWidth + PairFeatures.ExpertiseKinds] = PairFeatures.ExpertiseCount(m);
        _french[i] = PairFeatures.LevelIn(m.Languages, PairFeatures.French) / 7f;
    }

    /// <summary>
    /// The columns of <paramref name="mentors"/>, made from those of the previous snapshot when only the rows in
    /// <paramref name="changed"/> differ (a copy of the arrays, not a rebuild: at 100,000 mentors a few milliseconds
    /// instead of 170), and kept for that list.
    /// </summary>
    public static MentorColumns Update(IReadOnlyList<PreparedMentor> previous, IReadOnlyList<PreparedMentor> mentors, IReadOnlyCollection<int> changed)
    {
        var columns = Built.TryGetValue(previous, out var before) && before.Count == mentors.Count
            ? new MentorColumns(before, mentors, changed)
            : new MentorColumns(mentors);
        Built.AddOrUpdate(mentors, columns);
        return columns;
    }

    /// <summary>The columns of a snapshot, built on first use and kept while the snapshot (the list) lives.</summary>
    public static MentorColumns For(IReadOnlyList<PreparedMentor> mentors) => Built.GetValue(mentors, m => new MentorColumns(m));

    public int Count => _id.Length;

    /// <summary>How many <see cref="Exclusion"/> values there are: the size of the counts a pass fills.</summary>
    public static readonly int Reasons = Enum.GetValues<Exclusion>().Length;

    private static int Id(Dictionary<string, int> ids, string value)
    {
        if (!ids.TryGetValue(value, out var id)) ids[value] = id = ids.Count;
        return id;
    }

    private static int Known(Dictionary<string, int> ids, string? value) => value is not null && ids.TryGetValue(value, out var id) ? id : -2; // -2 matches no mentor

    /// <summary>
    /// Filters every mentor for the request (<paramref name="exclude"/> first), writes the features of those who pass
    /// into <paramref name="features"/> (a row each, in mentor order) and their positions into <paramref name="candidates"/>;
    /// counts the others by their first failed filter. Returns how many passed.
    /// </summary>
    public int Pass(MatchRequest request, PreparedLearner learner, ISet<string>? exclude, Span<float> features, Span<int> candidates, Span<int> excluded)
    {
        var l = learner.Profile;
        // The learner's side, once: languages as (id, level), modes and goals as bits, place, sector and ROME as ids.
        Span<int> learnerLanguage = stackalloc int[l.Languages.Count];
        Span<int> learnerLevel = stackalloc int[l.Languages.Count];
        for (var i = 0; i < l.Languages.Count; i++) (learnerLanguage[i], learnerLevel[i]) = (Known(_languageIds, l.Languages[i].Language), (int)l.Languages[i].Level);
        // The learner's usable languages as bits: most mentors are told apart by one AND (ids of 64 or more read the lists).
        var (learnerUsable, learnerMany) = (0UL, false);
        for (var i = 0; i < learnerLanguage.Length; i++)
            if (learnerLanguage[i] >= 64) learnerMany = true;
            else if (learnerLanguage[i] >= 0 && learnerLevel[i] >= (int)Filters.LearnerMinimum) learnerUsable |= 1UL << learnerLanguage[i];
        var learnerModes = 0;
        foreach (var mode in l.Modes) learnerModes |= 1 << (int)mode;
        var remoteModes = learnerModes & ~InPerson;
        var gender = l.PreferredMentorGender is { } g ? (int)g : -1;
        var goals = request.Goals;
        var hasPlace = l.Place is not null;
        var (latitude, longitude) = (l.Place?.Latitude ?? 0, l.Place?.Longitude ?? 0);
        var cosLatitude = Geo.CosLatitude(latitude);
        var sector = l.TargetSector is { } s ? Known(_sectorIds, s.Trim()) : -1;
        var rome = l.TargetRome is { } r ? Known(_romeIds, r) : -1;
        var romeDomain = l.TargetRome is { Length: >= 3 } rd ? Known(_romeIds, rd[..3]) : -1;
        var occupation = l.TargetOccupation is { } o ? TextVector.From(o) : null;
        var goalText = request.GoalTextVector();
        // Goals and modes as bits in plain arrays, once: a foreach over the request's lists would box an enumerator per pair.
        Span<int> goalBits = stackalloc int[goals.Count];
        for (var i = 0; i < goals.Count; i++) goalBits[i] = 1 << (int)goals[i];
        Span<int> modeBits = stackalloc int[l.Modes.Count];
        for (var i = 0; i < l.Modes.Count; i++) modeBits[i] = 1 << (int)l.Modes[i];
        var (inPerson, phoneOnly, goalsAsked) = ((learnerModes & InPerson) != 0 ? 1f : 0f, PairFeatures.PhoneOnly(l) ? 1f : 0f, PairFeatures.Scaled(goals.Count, PairFeatures.GoalScale));
        Span<float> asks = stackalloc float[PairFeatures.ExpertiseKinds];
        foreach (var goal in goals) asks[(int)goal] = 1;
        var learnerFrench = PairFeatures.LevelIn(l.Languages, PairFeatures.French) / 7f;
        const int width = PairFeatures.Count;
        var passed = 0;
        for (var m = 0; m < _id.Length; m++)
        {
            if (exclude?.Contains(_id[m]) == true) continue;
            // The filters, in Filters.Check's order (the first that fails is the reason).
            if (_paused[m]) { excluded[(int)Exclusion.Paused]++; continue; }
            var usable = (learnerUsable & _usableLanguages[m]) != 0;
            if (!usable && (learnerMany || _manyLanguages[m]))
                for (var a = 0; a < learnerLanguage.Length; a++)
                    foreach (var (language, level) in _languages[m])
                        usable |= learnerLanguage[a] == language && learnerLevel[a] >= (int)Filters.LearnerMinimum && level >= (int)Filters.MentorMinimum;
            if (!usable) { excluded[(int)Exclusion.NoSharedLanguage]++; continue; }
            if (gender >= 0 && _gender[m] != gender) { excluded[(int)Exclusion.PreferenceNotMet]++; continue; }
            double? distance = null;
            if ((remoteModes & _modes[m]) == 0)
            {
                if ((learnerModes & _modes[m] & InPerson) == 0) { excluded[(int)Exclusion.NoCompatibleMode]++; continue; }
                distance = hasPlace && _hasHome[m] ? Geo.DistanceKm(latitude, longitude, cosLatitude, _latitude[m], _longitude[m], _cosLatitude[m]) : null;
                if (distance is not { } d || d > _radius[m]) { excluded[(int)Exclusion.TooFar]++; continue; }
            }
            if (_load[m] >= _capacity[m]) { excluded[(int)Exclusion.NoCapacity]++; continue; }
            var overlap = learner.Time.OverlapHours(_time[m]);
            if (overlap < Filters.MinimumOverlapHours) { excluded[(int)Exclusion.NoAvailabilityOverlap]++; continue; }

            // The features, as PairFeatures.Compute writes them.
            var (best, learnerBest, mentorBest) = (0, 0, 0);
            for (var a = 0; a < learnerLanguage.Length; a++)
                foreach (var (language, level) in _languages[m])
                    if (learnerLanguage[a] == language)
                    {
                        best = Math.Max(best, Math.Min(learnerLevel[a], level));
                        (learnerBest, mentorBest) = (Math.Max(learnerBest, learnerLevel[a]), Math.Max(mentorBest, level));
                    }
            var f = features.Slice(passed * width, width);
            var covered = 0;
            foreach (var bit in goalBits) if ((_expertise[m] & bit) != 0) covered++;
            f[PairFeatures.GoalOverlap] = goals.Count == 0 ? 0 : (float)covered / goals.Count;
            f[PairFeatures.LanguageLevel] = best / 7f;
            f[PairFeatures.AvailabilityOverlap] = (float)Math.Min(1, overlap / 10.0);
            distance ??= hasPlace && _hasHome[m] ? Geo.DistanceKm(latitude, longitude, cosLatitude, _latitude[m], _longitude[m], _cosLatitude[m]) : null;
            f[PairFeatures.Proximity] = distance is { } km && _radius[m] > 0 ? (float)Math.Max(0, 1 - km / _radius[m]) : 0;
            var shared = 0;
            foreach (var bit in modeBits) if ((_modes[m] & bit) != 0) shared++;
            f[PairFeatures.ModeFit] = l.Modes.Count == 0 ? 0 : (float)shared / l.Modes.Count;
            f[PairFeatures.MentorLoad] = _loadFeature[m];
            f[PairFeatures.AcceptanceRecord] = _acceptance[m];
            f[PairFeatures.RatingRecord] = _rating[m];
            f[PairFeatures.OccupationMatch] = rome != -1 && _rome[m] >= 0 && rome == _rome[m] ? 1
                : rome != -1 && _rome[m] >= 0 && romeDomain != -1 && romeDomain == _romeDomain[m] ? 0.6f
                : occupation is not null && _occupation[m] is { } mo ? (float)Math.Min(1, occupation.Cosine(mo)) : 0;
            f[PairFeatures.SectorMatch] = sector != -1 && sector == _sector[m] ? 1 : 0;
            f[PairFeatures.TextSimilarity] = (float)goalText.Cosine(_bio[m]);
            f[PairFeatures.Experience] = _experience[m];
            f[PairFeatures.LearnerLanguageLevel] = learnerBest / 7f;
            f[PairFeatures.MentorLanguageLevel] = mentorBest / 7f;
            f[PairFeatures.TimeZoneGap] = PairFeatures.Scaled(Math.Abs(learner.UtcOffsetHours - _offset[m]), PairFeatures.GapScaleHours);
            f[PairFeatures.OverlapHours] = PairFeatures.Scaled(overlap, PairFeatures.OverlapScaleHours);
            f[PairFeatures.DistanceToRadius] = distance is { } away && _radius[m] > 0 ? PairFeatures.Scaled(away / _radius[m], PairFeatures.DistanceScaleRadii) : 1;
            f[PairFeatures.FollowThrough] = _followThrough[m];
            f[PairFeatures.ActiveMentees] = _active[m];
            f[PairFeatures.Capacity] = _capacityFeature[m];
            f[PairFeatures.LearnerInPerson] = inPerson;
            f[PairFeatures.LearnerPhoneOnly] = phoneOnly;
            f[PairFeatures.GoalsAsked] = goalsAsked;
            asks.CopyTo(f.Slice(PairFeatures.Asks, PairFeatures.ExpertiseKinds));
            _offers.AsSpan(m * OffersWidth, OffersWidth).CopyTo(f.Slice(PairFeatures.Offers, OffersWidth));
            f[PairFeatures.LearnerFrenchLevel] = learnerFrench;
            f[PairFeatures.MentorFrenchLevel] = _french[m];
            candidates[passed++] = m;
        }
        return passed;
    }

    /// <summary>Buffers for one pass over <paramref name="mentors"/> rented from the shared pool (return them with <see cref="Return"/>).</summary>
    public static (float[] Features, int[] Candidates) Rent(int mentors) =>
        (ArrayPool<float>.Shared.Rent(Math.Max(1, mentors) * PairFeatures.Count), ArrayPool<int>.Shared.Rent(Math.Max(1, mentors)));

    public static void Return((float[] Features, int[] Candidates) buffers)
    {
        ArrayPool<float>.Shared.Return(buffers.Features);
        ArrayPool<int>.Shared.Return(buffers.Candidates);
    }
}
