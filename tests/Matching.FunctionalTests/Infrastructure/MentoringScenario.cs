using System.Net.Http.Json;
using System.Text.Json;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>Helpers to register mentors and learners and follow requests over HTTP. Each test speaks its own
/// rare language, so that mentors from other tests never qualify.</summary>
public static class MentoringScenario
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static object Mentor(string name, string language, string[] expertise, string rome = "M1805", int capacity = 2, string[]? modes = null) => new
    {
        displayName = name,
        contactEmail = $"{name.ToLowerInvariant()}@example.org",
        languages = new object[] { new { language, level = "native" }, new { language = "fr", level = "c1" } },
        expertise,
        occupation = "software developer",
        sector = "digital",
        rome,
        yearsOfExperience = 12,
        modes = modes ?? new[] { "video", "phone" },
        availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "18:00:00", end = "20:00:00" }, new { day = "thursday", start = "18:00:00", end = "21:00:00" } } },
        capacity,
        bio = "Developer; I help with CVs and job interviews in tech.",
    };

    public static object LearnerProfile(string language, string timeZone = "Europe/Paris", object? contact = null) => new
    {
        languages = new object[] { new { language, level = "b2" }, new { language = "ar", level = "native" } },
        availability = new { timeZone, slots = new[] { new { day = "monday", start = "17:00:00", end = "21:00:00" } } },
        modes = new[] { "phone" },
        targetOccupation = "web developer",
        targetRome = "M1805",
        contact,
    };

    /// <summary>A mentor's client, their profile saved.</summary>
    public static async Task<HttpClient> MentorAsync(MatchingApp app, string name, string language, string[] expertise, int capacity = 2)
    {
        var client = app.ClientFor(Role.Mentor, "volunteers", subject: $"{name}-{Guid.NewGuid():N}");
        (await client.PutAsJsonAsync("/api/mentors/me", Mentor(name, language, expertise, capacity: capacity))).EnsureSuccessStatusCode();
        return client;
    }

    public static async Task<string> LearnerAsync(HttpClient ngo, object profile, string name = "Amina")
    {
        var id = (await Json(await ngo.PostAsJsonAsync("/api/learners", new { displayName = name }))).GetProperty("id").GetString()!;
        (await ngo.PutAsJsonAsync($"/api/learners/{id}/profile", profile)).EnsureSuccessStatusCode();
        return id;
    }

    public static async Task<JsonElement> SettledAsync(HttpClient client, Uri location) =>
        await Eventually.Until(async () => await Json(await client.GetAsync(location)), r => r.GetProperty("status").GetString() != "queued",
            Patience, "the request to be scored");

    /// <summary>Asks for a mentor and waits for the proposals.</summary>
    public static async Task<JsonElement> ProposedAsync(HttpClient ngo, string learnerId, string goal = "cvReview")
    {
        var accepted = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId, goals = new[] { goal } });
        accepted.EnsureSuccessStatusCode();
        return await SettledAsync(ngo, accepted.Headers.Location!);
    }

    /// <summary>The learner's request, its first proposal chosen by the NGO and accepted by that mentor: the match's id.</summary>
    public static async Task<string> MatchedAsync(HttpClient ngo, HttpClient mentor, string learnerId)
    {
        var request = await ProposedAsync(ngo, learnerId);
        var requestId = request.GetProperty("id").GetString()!;
        var mentorId = request.GetProperty("proposals")[0].GetProperty("mentorId").GetString();
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose", new { mentorId })).EnsureSuccessStatusCode();
        (await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null)).EnsureSuccessStatusCode();
        return requestId;
    }

    public static async Task<JsonElement> MentorProfileAsync(HttpClient mentor) => await Json(await mentor.GetAsync("/api/mentors/me"));

    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    /// <summary>The first <paramref name="day"/> at least <paramref name="daysAhead"/> days from today, at a Paris wall-clock
    /// time (with that day's offset, daylight saving or not): when the demo's and the tests' weekly slots are open.</summary>
    public static DateTimeOffset NextInParis(DayOfWeek day, int hour, int minute, int daysAhead = 7)
    {
        var date = DateTime.SpecifyKind(DateTime.UtcNow.Date.AddDays(daysAhead), DateTimeKind.Unspecified);
        while (date.DayOfWeek != day) date = date.AddDays(1);
        var local = date.AddHours(hour).AddMinutes(minute);
        return new DateTimeOffset(local, Paris.GetUtcOffset(local));
    }
}
