using System.Net;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Cold start: with fewer real outcomes than the minimum, the weekly retraining trains nothing and the model in
/// service stays; an admin can make the rules or the shipped prior serve by name, and serving follows.
/// </summary>
public sealed class RetrainTimerTests() : OwnStorageTests(new Dictionary<string, string?> { ["Mentoring:ModelCheckSeconds"] = "1" })
{
    [Fact]
    public async Task Below_the_minimum_of_real_outcomes_nothing_is_trained_and_the_model_in_service_stays()
    {
        await App.RunTimerAsync("RetrainModel");
        var admin = App.ClientFor(Role.Operator, "platform");
        Assert.Equal(0, JsonDocument.Parse(await admin.GetStringAsync("/api/models")).RootElement.GetArrayLength());
        Assert.False(await new Azure.Storage.Blobs.BlobServiceClient(App.ConnectionString).GetBlobContainerClient("models").GetBlobClient("current.json").ExistsAsync());
    }

    [Fact]
    public async Task The_rules_or_the_shipped_prior_serve_when_named()
    {
        const string language = "ve";
        await MentorAsync(App, "Rudzani", language, ["cvReview"], capacity: 5);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var admin = App.ClientFor(Role.Operator, "platform");
        async Task<string> ScorerAsync()
        {
            var learner = await LearnerAsync(ngo, LearnerProfile(language));
            return (await ProposedAsync(ngo, learner)).GetProperty("scorer").GetString()!;
        }
        Assert.Equal("ml-v3", await ScorerAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/models/rules/current", null)).StatusCode);
        Assert.Equal("rules-v1", await Eventually.Until(ScorerAsync, s => s == "rules-v1", Patience, "the rules to serve"));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/models/prior/current", null)).StatusCode);
        Assert.Equal("ml-v3", await Eventually.Until(ScorerAsync, s => s == "ml-v3", Patience, "the prior to serve again"));
    }
}
