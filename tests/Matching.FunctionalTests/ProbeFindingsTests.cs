using System.Net;
using System.Net.Http.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>What an outside probe of the lifecycle found (issue 19), each with the test that failed before its fix.
/// The race of accepts and declines is in <see cref="MentoringLifecycleTests"/>, the sessions' cases in
/// <see cref="MentoringSessionTests"/>.</summary>
[Collection(StorageCollection.Name)]
public sealed class ProbeFindingsTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    [Fact]
    public async Task Twenty_concurrent_saves_of_one_learner_profile_or_one_mentor_profile_all_land_last_writer_winning()
    {
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var learnerId = await LearnerAsync(ngo, LearnerProfile("rm"));
        using var start = new SemaphoreSlim(0);
        var learnerSaves = Enumerable.Range(0, 20).Select(async i =>
        {
            await start.WaitAsync();
            return await ngo.PutAsJsonAsync($"/api/learners/{learnerId}/profile", LearnerProfile("rm", contact: new { kind = "phone", value = $"+336000000{i:00}" }));
        }).ToList();
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        var mentorSaves = Enumerable.Range(0, 20).Select(async i =>
        {
            await start.WaitAsync();
            return await mentor.PutAsJsonAsync("/api/mentors/me", Mentor($"Rosa{i}", "rm", ["cvReview"]));
        }).ToList();
        start.Release(40);
        var answers = await Task.WhenAll(learnerSaves.Concat(mentorSaves));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var saved = (await Json(await ngo.GetAsync($"/api/learners/{learnerId}/profile"))).GetProperty("profile").GetProperty("contact").GetProperty("value").GetString();
        Assert.Matches(@"^\+336000000\d\d$", saved);
        Assert.StartsWith("Rosa", (await MentorProfileAsync(mentor)).GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task An_enum_given_as_a_number_is_a_400_naming_the_field()
    {
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        var body = Mentor("Rui", "rm", ["cvReview"]);
        var errors = (await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{Guid.NewGuid():N}/decline", new { reason = 0 }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors");
        Assert.True(errors.TryGetProperty("reason", out _), errors.ToString());
        var modes = (await HttpPlatformTests.AssertProblem(await mentor.PutAsJsonAsync("/api/mentors/me", new Dictionary<string, object?>(ToFields(body)) { ["modes"] = new[] { 1 } }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors");
        Assert.True(modes.EnumerateObject().Any(e => e.Name.StartsWith("modes", StringComparison.Ordinal)), modes.ToString());
    }

    [Theory]
    [InlineData("/api/reports/impact"), InlineData("/api/reports/offers")]
    public async Task An_unknown_report_format_is_a_400_naming_the_parameter(string path)
    {
        var caller = App.ClientFor(path.EndsWith("offers", StringComparison.Ordinal) ? Role.Provider : Role.Ngo, NewOrg("org"));
        Assert.True((await HttpPlatformTests.AssertProblem(await caller.GetAsync($"{path}?format=xml"), HttpStatusCode.BadRequest, "urn:matching:problem:validation"))
            .GetProperty("errors").TryGetProperty("format", out _));
        Assert.Equal(HttpStatusCode.OK, (await caller.GetAsync($"{path}?format=json")).StatusCode);
        Assert.StartsWith("text/csv", (await caller.GetAsync($"{path}?format=CSV")).Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Platform_wide_powers_belong_to_operators_and_venues_and_programmes_are_a_shared_catalog_by_design()
    {
        var orgAdmin = App.ClientFor(Role.Admin, NewOrg("ngo"));
        foreach (var (method, path) in new[] { ("GET", "/api/exports/training-data"), ("GET", "/api/models"), ("POST", "/api/models/rules/current") })
            await HttpPlatformTests.AssertProblem(await orgAdmin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
        var operatorClient = App.ClientFor(Role.Operator, "platform");
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/api/models")).StatusCode);
        var export = await operatorClient.GetAsync("/api/exports/training-data");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        await export.Content.ReadAsStringAsync();

        // An organisation's admin reports on its own organisation, whatever it names.
        var ngoOrg = NewOrg("ngo");
        var ngo = App.ClientFor(Role.Ngo, ngoOrg);
        var learner = await LearnerAsync(ngo, LearnerProfile("sm"));
        (await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" } })).EnsureSuccessStatusCode();
        Assert.Equal(1, (await Json(await operatorClient.GetAsync($"/api/reports/impact?organisation={ngoOrg}"))).GetProperty("requests").GetInt32());
        Assert.Equal(0, (await Json(await orgAdmin.GetAsync($"/api/reports/impact?organisation={ngoOrg}"))).GetProperty("requests").GetInt32());
        Assert.Equal(1, (await Json(await App.ClientFor(Role.Admin, ngoOrg).GetAsync("/api/reports/impact"))).GetProperty("requests").GetInt32());

        // Venues and programmes: every organisation reads the shared catalog, which says nothing about who takes part.
        var hours = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "09:00:00", end = "21:00:00" } } };
        var venue = await Json(await ngo.PostAsJsonAsync("/api/venues", new { name = $"Tiers-lieu {Guid.NewGuid():N}", inseeCode = "23096", latitude = 46.17, longitude = 1.87, openingHours = hours, stepFreeAccess = true }));
        var providerOrg = NewOrg("provider");
        var programme = await Json(await App.ClientFor(Role.Provider, providerOrg).PostAsJsonAsync("/api/programmes", new
        {
            name = "Coaching partagé", opensAt = DateTimeOffset.UtcNow.AddDays(-1), closesAt = DateTimeOffset.UtcNow.AddDays(30),
            goals = new[] { "cvReview" }, modes = new[] { "video" }, sessionQuota = 5,
        }));
        var otherNgo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var venues = await (await otherNgo.GetAsync("/api/venues")).Content.ReadAsStringAsync();
        Assert.Contains(venue.GetProperty("id").GetString()!, venues);
        Assert.DoesNotContain(ngoOrg, venues);
        var listed = (await Json(await otherNgo.GetAsync("/api/programmes"))).EnumerateArray().Single(p => p.GetProperty("id").GetString() == programme.GetProperty("id").GetString());
        Assert.Equal(new[] { "acceptingRequests", "closesAt", "goals", "id", "modes", "name", "opensAt", "runBy", "sessionQuota", "sessionsConfirmed" },
            listed.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    private static IEnumerable<KeyValuePair<string, object?>> ToFields(object anonymous) =>
        anonymous.GetType().GetProperties().Select(p => new KeyValuePair<string, object?>(p.Name, p.GetValue(anonymous)));
}
