using System.Net;
using System.Text;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using Matching.UnitTests.Lheo;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

[Collection(StorageCollection.Name)]
public sealed class LheoImportTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;
    private static StringContent Xml(string xml) => new(xml, Encoding.UTF8, "application/xml");

    [Fact]
    public async Task Upload_creates_offers_and_a_reupload_updates_them_without_duplicates()
    {
        var org = NewOrg("provider");
        var provider = App.ClientFor(Role.Provider, org);
        var first = await Json(await provider.PostAsync("/api/lheo-imports", Xml(LheoSamples.Small())));
        Assert.Equal(("completed", 3, 0), (first.GetProperty("status").GetString(), first.GetProperty("created").GetInt32(), first.GetProperty("updated").GetInt32()));
        var ids = first.GetProperty("offerIds").EnumerateArray().Select(e => e.GetString()!).ToList();

        var offer = await Json(await provider.GetAsync($"/api/offers/{ids[0]}"));
        Assert.Equal(("open", 1, 12), (offer.GetProperty("status").GetString(), offer.GetProperty("lheoRecruitmentStatus").GetInt32(), offer.GetProperty("totalSeats").GetInt32()));
        Assert.Equal("lheo:F-FLE-01/A-1/S-1", offer.GetProperty("externalId").GetString());
        Assert.Equal(3, (await Json(await provider.GetAsync($"/api/offers/{ids[1]}"))).GetProperty("lheoRecruitmentStatus").GetInt32());

        var changed = LheoSamples.Small().Replace("<nb-places-financees>12<", "<nb-places-financees>20<");
        var second = await Json(await provider.PostAsync("/api/lheo-imports", Xml(changed)));
        Assert.Equal((0, 3), (second.GetProperty("created").GetInt32(), second.GetProperty("updated").GetInt32()));
        Assert.Equal(ids, second.GetProperty("offerIds").EnumerateArray().Select(e => e.GetString()!).ToList());
        Assert.Equal(20, (await Json(await provider.GetAsync($"/api/offers/{ids[0]}"))).GetProperty("totalSeats").GetInt32());
        var mine = await Json(await provider.GetAsync("/api/offers?mine=true&pageSize=100"));
        Assert.Equal(3, mine.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Invalid_documents_are_400_listing_the_problems_and_import_nothing()
    {
        var org = NewOrg("provider");
        var provider = App.ClientFor(Role.Provider, org);
        var response = await provider.PostAsync("/api/lheo-imports", Xml("<lheo><offres><formation numero='x'>"));
        var problem = await HttpPlatformTests.AssertProblem(response, HttpStatusCode.BadRequest, "urn:matching:problem:invalid-lheo");
        Assert.NotEmpty(problem.GetProperty("problems").EnumerateArray());

        var halfBad = LheoSamples.Small().Replace("<etat-recrutement>3<", "<etat-recrutement>7<");
        var bad = await HttpPlatformTests.AssertProblem(await provider.PostAsync("/api/lheo-imports", Xml(halfBad)), HttpStatusCode.BadRequest, "urn:matching:problem:invalid-lheo");
        Assert.Contains(bad.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("etat-recrutement"));
        var mine = await Json(await provider.GetAsync("/api/offers?mine=true"));
        Assert.Equal(0, mine.GetProperty("items").GetArrayLength());

        await HttpPlatformTests.AssertProblem(await provider.PostAsync("/api/lheo-imports", new StringContent("{}", Encoding.UTF8, "application/json")),
            HttpStatusCode.UnsupportedMediaType, "urn:matching:problem:unsupported-media-type");
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Ngo, NewOrg("ngo")).PostAsync("/api/lheo-imports", Xml(LheoSamples.Small())),
            HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
    }

    [Fact]
    public async Task Large_documents_go_through_the_queue_and_report_on_a_status_url()
    {
        var org = NewOrg("provider");
        var provider = App.ClientFor(Role.Provider, org);
        // ~300 KiB: above the 256 KiB limit for an import on the spot.
        var formations = Enumerable.Range(0, 160).Select(i => LheoSamples.Formation($"F-{i}", $"Formation {i}",
            LheoSamples.Action("A", 5, "1", LheoSamples.Session("S")))).ToArray();
        var xml = LheoSamples.Document(formations);
        Assert.True(Encoding.UTF8.GetByteCount(xml) > 256 * 1024);

        var response = await provider.PostAsync("/api/lheo-imports", Xml(xml));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = await Eventually.Until(async () => await Json(await provider.GetAsync(response.Headers.Location)),
            s => s.GetProperty("status").GetString() != "queued", TimeSpan.FromSeconds(60), "the queued import to finish");
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal(160, status.GetProperty("created").GetInt32());
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Provider, NewOrg("provider")).GetAsync(response.Headers.Location),
            HttpStatusCode.NotFound, "urn:matching:problem:not-found");
    }
}
