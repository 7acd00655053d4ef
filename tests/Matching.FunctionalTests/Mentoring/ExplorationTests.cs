using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Exploration on every request (share 1): seven mentors alike in everything rank by id, so the first four proposals
/// are the first four mentors and the fifth is drawn from ranks 6 and 7. Once the proposals expire, the training export
/// carries each proposal's propensity: 1 for the first four, 1/2 for the explored fifth.
/// </summary>
public sealed class ExplorationTests() : OwnStorageTests(new Dictionary<string, string?> { ["Mentoring:ExplorationShare"] = "1" }, fakeClock: true)
{
    [Fact]
    public async Task The_last_slot_explores_ranks_six_to_ten_and_the_export_carries_each_proposals_propensity()
    {
        const string language = "xh";
        var ids = new List<string>();
        foreach (var name in new[] { "Ana", "Bea", "Cyd", "Dan", "Eve", "Fay", "Gus" })
            ids.Add((await MentorProfileAsync(await MentorAsync(App, name, language, ["cvReview"], capacity: 5))).GetProperty("id").GetString()!);
        var ranked = ids.Order(StringComparer.Ordinal).ToList(); // alike in everything: ties go by id
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var learner = await LearnerAsync(ngo, LearnerProfile(language));
        var proposed = (await ProposedAsync(ngo, learner)).GetProperty("proposals").EnumerateArray().Select(p => p.GetProperty("mentorId").GetString()!).ToList();
        Assert.Equal(ranked[..4], proposed[..4]);
        Assert.Contains(proposed[4], ranked[5..]); // explored: never the fifth

        Clock.SetUtcNow(Clock.GetUtcNow().AddDays(30)); // nobody chose: the proposals expire, and the request is settled
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        var export = await App.ClientFor(Role.Operator, "platform").GetStringAsync("/api/exports/training-data");
        var outcomes = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("kind").GetString() == "outcome").ToList();
        Assert.Equal([1, 2, 3, 4, 5], outcomes.Select(o => o.GetProperty("rank").GetInt32()));
        Assert.Equal([1, 1, 1, 1, 0.5], outcomes.Select(o => o.GetProperty("propensity").GetDouble()));
    }
}
