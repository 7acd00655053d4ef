using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// With load spread on, mentors who were just proposed rank lower for the next requests: seven mentors alike in
/// everything, five proposals a request, learners alike, and the first proposal goes round instead of to the same
/// mentor each time (with the weight at 0, ties go to the same mentor every time: the lowest id).
/// </summary>
public sealed class LoadSpreadTests() : OwnStorageTests(new Dictionary<string, string?> { ["Mentoring:LoadSpreadWeight"] = "1" })
{
    [Fact]
    public async Task Proposals_go_round_mentors_alike_instead_of_piling_on_one()
    {
        const string language = "ss";
        foreach (var name in new[] { "Ana", "Bea", "Cyd", "Dan", "Eve", "Fay", "Gus" }) await MentorAsync(App, name, language, ["cvReview"], capacity: 5);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var first = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var learner = await LearnerAsync(ngo, LearnerProfile(language), $"Learner{i}");
            var proposed = await ProposedAsync(ngo, learner);
            first.Add(proposed.GetProperty("proposals")[0].GetProperty("displayName").GetString()!);
            Assert.Equal(5, proposed.GetProperty("proposals").GetArrayLength());
        }
        Assert.True(first.Distinct().Count() >= 3, string.Join(", ", first));
    }
}
