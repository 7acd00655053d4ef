using System.Net;
using System.Net.Http.Json;
using Azure.Data.Tables;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

[Collection(StorageCollection.Name)]
public sealed class LearnerTests(StorageFixture fixture)
{
    [Fact]
    public async Task An_ngo_registers_reads_and_erases_its_own_learners_only()
    {
        var org = NewOrg("ngo");
        var ngo = fixture.App.ClientFor(Role.Ngo, org);
        var created = await ngo.PostAsJsonAsync("/api/learners", new { displayName = "Nadia" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await Json(created)).GetProperty("id").GetString()!;
        Assert.Equal("Nadia", (await Json(await ngo.GetAsync($"/api/learners/{id}"))).GetProperty("displayName").GetString());

        var other = fixture.App.ClientFor(Role.Ngo, NewOrg("ngo"));
        await HttpPlatformTests.AssertProblem(await other.GetAsync($"/api/learners/{id}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        await HttpPlatformTests.AssertProblem(await other.DeleteAsync($"/api/learners/{id}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/learners", new { displayName = "" }), HttpStatusCode.BadRequest, "urn:matching:problem:validation");

        Assert.Equal(HttpStatusCode.NoContent, (await ngo.DeleteAsync($"/api/learners/{id}")).StatusCode);
        await HttpPlatformTests.AssertProblem(await ngo.GetAsync($"/api/learners/{id}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        Assert.False((await fixture.App.Table("learners").GetEntityIfExistsAsync<TableEntity>(org, id)).HasValue); // erased, not hidden
        await HttpPlatformTests.AssertProblem(await ngo.DeleteAsync($"/api/learners/{id}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
    }
}
