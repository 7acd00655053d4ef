using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// An NGO places a cohort at once: three learners whose requests propose the same two mentors, one place each: two
/// are offered (to different mentors), one is left unplaced; requests not waiting for a choice, or another
/// organisation's, are skipped with the reason; bad input is a problem naming the field.
/// </summary>
public sealed class CohortTests() : OwnStorageTests
{
    [Fact]
    public async Task A_cohort_is_placed_within_the_mentors_free_places_and_each_placement_is_offered()
    {
        const string language = "xh";
        await MentorAsync(App, "Nomsa", language, ["cvReview"], capacity: 1);
        await MentorAsync(App, "Thabo", language, ["cvReview"], capacity: 1);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var requests = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var proposed = await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(language), $"Learner{i}"));
            Assert.Equal(2, proposed.GetProperty("proposals").GetArrayLength());
            requests.Add(proposed.GetProperty("id").GetString()!);
        }
        var other = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var foreign = (await ProposedAsync(other, await LearnerAsync(other, LearnerProfile(language)))).GetProperty("id").GetString()!;

        var placed = await Json(await ngo.PostAsJsonAsync("/api/cohorts", new { requestIds = requests.Append(foreign).ToArray() }));
        Assert.Equal((2, 1, 1), (placed.GetProperty("offered").GetInt32(), placed.GetProperty("unplaced").GetInt32(), placed.GetProperty("skipped").GetInt32()));
        var outcomes = placed.GetProperty("placements").EnumerateArray().ToList();
        Assert.Equal([.. requests, foreign], outcomes.Select(p => p.GetProperty("requestId").GetString()));
        var offered = outcomes.Where(p => p.GetProperty("outcome").GetString() == "offered").ToList();
        Assert.Equal(2, offered.Select(p => p.GetProperty("mentorId").GetString()).Distinct().Count());
        foreach (var p in offered)
        {
            var request = await Json(await ngo.GetAsync($"/api/mentor-requests/{p.GetProperty("requestId").GetString()}"));
            Assert.Equal("offered", request.GetProperty("status").GetString());
            Assert.Equal(p.GetProperty("mentorId").GetString(), request.GetProperty("offer").GetProperty("mentorId").GetString());
        }
        Assert.Equal("not found", outcomes[^1].GetProperty("reason").GetString()); // another organisation's request

        // Again: the offered ones are no longer waiting for a choice; the unplaced one still finds no place.
        var again = await Json(await ngo.PostAsJsonAsync("/api/cohorts", new { requestIds = requests }));
        Assert.Equal((0, 1, 2), (again.GetProperty("offered").GetInt32(), again.GetProperty("unplaced").GetInt32(), again.GetProperty("skipped").GetInt32()));

        foreach (var bad in new object[] { new { requestIds = Array.Empty<string>() }, new { requestIds = new[] { requests[0], requests[0] } }, new { requestIds = new[] { "../x" } } })
        {
            var problem = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/cohorts", bad), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
            Assert.True(problem.GetProperty("errors").TryGetProperty("requestIds", out _));
        }
        var fairness = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/cohorts", new { requestIds = requests, fairness = 11 }), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(fairness.GetProperty("errors").TryGetProperty("fairness", out _));
    }
}
