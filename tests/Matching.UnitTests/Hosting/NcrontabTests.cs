using Matching.Hosting;

namespace Matching.UnitTests;

public sealed class NcrontabTests
{
    [Theory]
    [InlineData("0 */5 * * * *", "2025-01-01T10:02:30Z", "2025-01-01T10:05:00Z")]
    [InlineData("0 15 3 * * *", "2025-01-01T10:00:00Z", "2025-01-02T03:15:00Z")]
    [InlineData("*/10 * * * * *", "2025-01-01T10:00:01Z", "2025-01-01T10:00:10Z")]
    [InlineData("0 0 9 * * 1-5", "2025-01-03T10:00:00Z", "2025-01-06T09:00:00Z")] // Friday after 9 -> Monday
    public void Next_occurrence_of_six_field_schedules(string schedule, string after, string expected)
    {
        var next = Ncrontab.NextAfter(schedule, DateTime.Parse(after, null, System.Globalization.DateTimeStyles.AdjustToUniversal));
        Assert.Equal(DateTime.Parse(expected, null, System.Globalization.DateTimeStyles.AdjustToUniversal), next);
    }

    [Theory]
    [InlineData("*/5 * * * *")] // five fields: the timer trigger needs seconds
    [InlineData("0 61 * * * *")]
    [InlineData("")]
    public void Invalid_schedules_are_refused(string schedule)
    {
        Assert.ThrowsAny<Exception>(() => Ncrontab.Parse(schedule));
    }
}
