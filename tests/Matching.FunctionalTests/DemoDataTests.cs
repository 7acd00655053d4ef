using System.Net.Http.Json;
using System.Text.Json;
using Matching.Demo;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

[Collection(StorageCollection.Name)]
public sealed class DemoDataTests(StorageFixture fixture)
{
    [Fact]
    public async Task Demo_flag_seeds_open_offers_and_learners_for_the_readme_walkthrough()
    {
        await using var app = new MatchingApp(fixture.Azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Matching:SeedDemoData"] = "true",
            ["Matching:LocalListeners"] = "false",
        });
        var ngo = app.ClientFor(Role.Ngo, DemoData.NgoOrg);
        var offer = await Eventually.Until(async () => await ngo.GetAsync($"/api/offers/{DemoData.FrenchA2}"),
            r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(20), "the demo offer");
        var view = await Json(offer);
        Assert.Equal("open", view.GetProperty("status").GetString());
        Assert.Equal(1000, view.GetProperty("totalSeats").GetInt32());
        await Eventually.Until(async () => await ngo.GetAsync($"/api/learners/{DemoData.YusufId}"), r => r.IsSuccessStatusCode,
            TimeSpan.FromSeconds(20), "the demo learners");
        var page = await Json(await ngo.GetAsync("/api/offers?topic=Digital%20skills&near=46.2,1.9&radiusKm=50&sort=distance"));
        Assert.Contains(page.GetProperty("items").EnumerateArray(), o => o.GetProperty("id").GetString() == DemoData.DigitalFirstSteps);

        // The README's mentoring walk-through: Amina's request gets proposals from the demo volunteers.
        await Eventually.Until(async () => await ngo.GetAsync($"/api/learners/{DemoData.AminaId}/profile"), r => r.IsSuccessStatusCode,
            TimeSpan.FromSeconds(20), "Amina's profile");
        var claire = app.ClientFor(Role.Mentor, DemoData.VolunteerOrg, subject: "claire");
        Assert.Equal("Claire", (await Json(await claire.GetAsync("/api/mentors/me"))).GetProperty("displayName").GetString());
    }
}
