namespace Matching.Engine;

/// <summary>
/// Availability as UTC intervals over one concrete reference week, so that time zones and daylight-saving
/// changes in that week are applied as they really fall. Intervals are minutes from the week's start.
/// </summary>
public sealed class WeeklyTime
{
    private const int MinutesPerWeek = 7 * 24 * 60;
    private readonly (int Start, int End)[] _intervals; // sorted, merged

    private WeeklyTime((int, int)[] intervals) => _intervals = intervals;

    public static WeeklyTime Empty { get; } = new([]);

    /// <summary>The reference week: Monday 00:00 UTC of the week containing <paramref name="now"/>.</summary>
    public static DateTime WeekStart(DateTimeOffset now)
    {
        var d = now.UtcDateTime.Date;
        return d.AddDays(-(((int)d.DayOfWeek + 6) % 7));
    }

    public static bool IsKnownZone(string zone) => TryZone(zone, out _);

    /// <summary>The zone's offset from UTC in the middle of the reference week, in hours (0 for an unknown zone).</summary>
    public static double UtcOffsetHours(string zone, DateTime weekStartUtc) =>
        TryZone(zone, out var info) ? info.GetUtcOffset(weekStartUtc.AddDays(3.5)).TotalHours : 0;

    private static bool TryZone(string zone, out TimeZoneInfo info)
    {
        try { info = TimeZoneInfo.FindSystemTimeZoneById(zone); return true; }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException) { info = TimeZoneInfo.Utc; return false; }
    }

    public static WeeklyTime From(Availability availability, DateTime weekStartUtc)
    {
        if (!TryZone(availability.TimeZone, out var zone)) return Empty;
        var raw = new List<(int, int)>();
        // Local days from the day before to the day after the UTC week, so that slots shifted across the
        // week's edges by the offset are counted; everything is clipped to the week.
        for (var day = -1; day <= 7; day++)
        {
            var localDate = weekStartUtc.AddDays(day).Date;
            foreach (var slot in availability.Slots.Where(s => s.Day == localDate.DayOfWeek && s.End > s.Start))
            {
                var start = ToUtc(localDate + slot.Start.ToTimeSpan(), zone);
                var end = ToUtc(localDate + slot.End.ToTimeSpan(), zone);
                var a = (int)Math.Max(0, (start - weekStartUtc).TotalMinutes);
                var b = (int)Math.Min(MinutesPerWeek, (end - weekStartUtc).TotalMinutes);
                if (b > a) raw.Add((a, b));
            }
        }
        raw.Sort();
        var merged = new List<(int Start, int End)>();
        foreach (var (s, e) in raw)
        {
            if (merged.Count > 0 && s <= merged[^1].End) merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, e));
            else merged.Add((s, e));
        }
        return new WeeklyTime(merged.ToArray());
    }

    /// <summary>A local time that does not exist (spring forward) moves past the gap; an ambiguous one takes the first.</summary>
    private static DateTime ToUtc(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified)) unspecified = unspecified.AddMinutes(30);
        return TimeZoneInfo.ConvertTimeToUtc(unspecified, zone);
    }

    /// <summary>Whether a concrete time span falls wholly inside one of the weekly slots, in the slot owner's zone
    /// as it is that week (daylight saving applied as it really falls).</summary>
    public static bool Covers(Availability availability, DateTimeOffset start, DateTimeOffset end)
    {
        var week = WeekStart(start);
        var a = (int)(start.UtcDateTime - week).TotalMinutes;
        var b = (int)Math.Ceiling((end.UtcDateTime - week).TotalMinutes);
        return b > a && From(availability, week)._intervals.Any(i => i.Start <= a && b <= i.End);
    }

    public double TotalHours => _intervals.Sum(i => i.End - i.Start) / 60.0;

    /// <summary>Hours both are available in the reference week.</summary>
    public double OverlapHours(WeeklyTime other)
    {
        int i = 0, j = 0, minutes = 0;
        var a = _intervals;
        var b = other._intervals;
        while (i < a.Length && j < b.Length)
        {
            var start = Math.Max(a[i].Start, b[j].Start);
            var end = Math.Min(a[i].End, b[j].End);
            if (end > start) minutes += end - start;
            if (a[i].End < b[j].End) i++; else j++;
        }
        return minutes / 60.0;
    }
}
