using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Issue 21, item 4: NGO staff list their learners (where each stands, searched by name, filtered by status, a page at a
/// time) and their requests (by status or learner, with how long each learner has waited), inside their organisation only.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class StaffViewTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task Staff_list_their_learners_with_where_each_stands_searched_filtered_and_paged()
    {
        var org = NewOrg("staff-ngo");
        var ngo = App.ClientFor(Role.Ngo, org);
        const string language = "za"; // no other test uses it
        var amina = await LearnerAsync(ngo, LearnerProfile(language), "Amina");
        var aminaBis = await LearnerAsync(ngo, LearnerProfile(language), "AMÍNA B.");
        var yusuf = await LearnerAsync(ngo, LearnerProfile(language), "Yusuf");
        var request = await ProposedAsync(ngo, amina);

        var all = await Ok(await ngo.GetAsync("/api/learners"));
        var byId = all.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetString()!, i => i.GetProperty("status").GetString());
        Assert.Equal(3, byId.Count);
        // Where her request stands says where she stands: nothing proposed yet (no candidates), or proposals to choose from.
        Assert.Equal(request.GetProperty("status").GetString() == "noCandidates" ? "waitingForProposals" : "proposed", byId[amina]);
        Assert.Equal(("noRequest", "noRequest"), (byId[aminaBis], byId[yusuf]));

        var found = await Ok(await ngo.GetAsync("/api/learners?search=amina"));
        Assert.Equal(new[] { amina, aminaBis }.Order(), found.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).Order());
        // By status, through the requests in that status: Amina alone where she stands, nobody matched yet.
        var hers = await Ok(await ngo.GetAsync($"/api/learners?status={byId[amina]}"));
        Assert.Equal(amina, Assert.Single(hers.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty((await Ok(await ngo.GetAsync("/api/learners?status=matched"))).GetProperty("items").EnumerateArray());
        Assert.Empty((await Ok(await ngo.GetAsync($"/api/learners?status={byId[amina]}&search=yusuf"))).GetProperty("items").EnumerateArray());
        var waiting = await Ok(await ngo.GetAsync("/api/learners?status=noRequest"));
        Assert.Equal(new[] { aminaBis, yusuf }.Order(), waiting.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).Order());

        // A page at a time: every learner once.
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await Ok(await ngo.GetAsync("/api/learners?pageSize=1" + (token is null ? "" : $"&continuationToken={token}")));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
            token = page.GetProperty("continuationToken").GetString();
        } while (token is not null);
        Assert.Equal(new[] { amina, aminaBis, yusuf }.Order(), seen.Order());

        // Another organisation's staff see none of them.
        Assert.Empty((await Ok(await App.ClientFor(Role.Ngo, NewOrg("other-ngo")).GetAsync("/api/learners"))).GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await ngo.GetAsync("/api/learners?status=lost")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ngo.GetAsync("/api/learners?pageSize=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ngo.GetAsync("/api/learners?continuationToken=zz")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await App.ClientFor(Role.Mentor, org).GetAsync("/api/learners")).StatusCode);
    }

    [Fact]
    public async Task Staff_list_their_requests_by_status_or_learner_with_the_waiting_time()
    {
        var org = NewOrg("staff-ngo");
        var ngo = App.ClientFor(Role.Ngo, org);
        const string language = "zu";
        var amina = await LearnerAsync(ngo, LearnerProfile(language), "Amina");
        var yusuf = await LearnerAsync(ngo, LearnerProfile(language), "Yusuf");
        var first = (await ProposedAsync(ngo, amina)).GetProperty("id").GetString();
        var second = (await ProposedAsync(ngo, yusuf)).GetProperty("id").GetString();

        var all = await Ok(await ngo.GetAsync("/api/mentor-requests"));
        var items = all.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(new[] { first, second }.Order(), items.Select(i => i.GetProperty("id").GetString()).Order());
        Assert.All(items, i => Assert.InRange(i.GetProperty("waitedDays").GetDouble(), 0, 0.1));
        var status = items[0].GetProperty("status").GetString();
        Assert.Equal(2, (await Ok(await ngo.GetAsync($"/api/mentor-requests?status={status}"))).GetProperty("items").GetArrayLength());
        Assert.Equal(0, (await Ok(await ngo.GetAsync("/api/mentor-requests?status=matched"))).GetProperty("items").GetArrayLength());
        var one = await Ok(await ngo.GetAsync($"/api/mentor-requests?learnerId={yusuf}"));
        Assert.Equal(second, Assert.Single(one.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());

        var paged = await Ok(await ngo.GetAsync("/api/mentor-requests?pageSize=1"));
        Assert.Equal(1, paged.GetProperty("items").GetArrayLength());
        var token = paged.GetProperty("continuationToken").GetString();
        Assert.NotNull(token);
        var rest = await Ok(await ngo.GetAsync($"/api/mentor-requests?pageSize=1&continuationToken={Uri.EscapeDataString(token!)}"));
        Assert.NotEqual(paged.GetProperty("items")[0].GetProperty("id").GetString(), rest.GetProperty("items")[0].GetProperty("id").GetString());

        Assert.Empty((await Ok(await App.ClientFor(Role.Ngo, NewOrg("other-ngo")).GetAsync("/api/mentor-requests"))).GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await ngo.GetAsync("/api/mentor-requests?status=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ngo.GetAsync("/api/mentor-requests?learnerId=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await App.ClientFor(Role.Learner, org, amina).GetAsync("/api/mentor-requests")).StatusCode);
    }

    /// <summary>Issue 21, item 2: a learner without an account gets a personal link from their NGO, scoped and revocable.</summary>
    [Fact]
    public async Task A_learners_access_link_shows_their_matches_and_nothing_else_until_revoked()
    {
        var org = NewOrg("link-ngo");
        var ngo = App.ClientFor(Role.Ngo, org);
        var learner = (await Json(await ngo.PostAsJsonAsync("/api/learners", new { displayName = "Oksana" }))).GetProperty("id").GetString()!;
        var issued = await ngo.PostAsync($"/api/learners/{learner}/access-link", null);
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var link = (await Json(issued)).GetProperty("token").GetString()!;
        Assert.StartsWith("mla_", link);
        HttpClient As(string token)
        {
            var client = App.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            return client;
        }
        Assert.Equal(HttpStatusCode.OK, (await As(link).GetAsync("/api/matches")).StatusCode);
        // Scoped: not the learner's other powers, not the staff's, not a signed-in person's.
        Assert.Equal(HttpStatusCode.Forbidden, (await As(link).PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(link).DeleteAsync($"/api/learners/{learner}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(link).GetAsync("/api/learners")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(link).GetAsync("/api/me/memberships")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await As(link + "x").GetAsync("/api/matches")).StatusCode);
        // Another NGO cannot give a link to this learner.
        Assert.Equal(HttpStatusCode.NotFound, (await App.ClientFor(Role.Ngo, NewOrg("other-ngo")).PostAsync($"/api/learners/{learner}/access-link", null)).StatusCode);

        // A new link revokes the last; revoking stops the new one at once.
        var second = (await Json(await ngo.PostAsync($"/api/learners/{learner}/access-link", null))).GetProperty("token").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await As(link).GetAsync("/api/matches")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await As(second).GetAsync("/api/matches")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ngo.DeleteAsync($"/api/learners/{learner}/access-link")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await As(second).GetAsync("/api/matches")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ngo.DeleteAsync($"/api/learners/{learner}/access-link")).StatusCode);

        // Erasing the learner ends their link too.
        var third = (await Json(await ngo.PostAsync($"/api/learners/{learner}/access-link", null))).GetProperty("token").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await ngo.DeleteAsync($"/api/learners/{learner}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await As(third).GetAsync("/api/matches")).StatusCode);
    }
}
