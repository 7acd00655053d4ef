using NCrontab;

namespace Matching.Hosting;

/// <summary>Six-field NCRONTAB (with seconds), the dialect of the Functions timer trigger.</summary>
public static class Ncrontab
{
    public static CrontabSchedule Parse(string expression)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
            throw new FormatException($"'{expression}' must have six fields: second minute hour day month day-of-week.");
        return CrontabSchedule.Parse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
    }

    public static DateTime NextAfter(string expression, DateTime utc) => Parse(expression).GetNextOccurrence(utc);
}
