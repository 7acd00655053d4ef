using System.Net;
using System.Net.Http.Json;
using Azure.Storage.Blobs;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

[Collection(StorageCollection.Name)]
public sealed class MentoringTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;
    [Fact]
    public async Task A_request_is_scored_into_explained_proposals_without_contact_details_that_hold_no_capacity()
    {
        const string language = "kl";
        var mentors = new[] { ("Claire", new[] { "cvReview", "interviewPreparation" }), ("Bruno", new[] { "entrepreneurship" }), ("Dalia", new[] { "cvReview" }) };
        var mentorClients = new Dictionary<string, HttpClient>();
        foreach (var (name, expertise) in mentors)
        {
            var client = App.ClientFor(Role.Mentor, "volunteers", subject: $"{name}-{Guid.NewGuid():N}");
            Assert.Equal("kl", (await Json(await client.PutAsJsonAsync("/api/mentors/me", Mentor(name, language, expertise)))).GetProperty("languages")[0].GetProperty("language").GetString());
            mentorClients[name] = client;
        }
        var ngoOrg = NewOrg("ngo");
        var ngo = App.ClientFor(Role.Ngo, ngoOrg);
        var learner = await LearnerAsync(ngo, LearnerProfile(language));

        var accepted = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" }, goalText = "update my CV for developer jobs" });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(RequestStatus.Queued, (await Read<MentorRequests.RequestView>(accepted)).Status);
        var request = await SettledAsync(ngo, accepted.Headers.Location!);
        var view = As<MentorRequests.RequestView>(request);

        Assert.Equal(RequestStatus.Proposed, view.Status);
        Assert.StartsWith("ml-", view.Scorer);
        Assert.Equal(3, view.Proposals.Count);
        Assert.Contains(view.Proposals[0].DisplayName, new[] { "Claire", "Dalia" }); // they can help with a CV
        Assert.All(view.Proposals, p => Assert.StartsWith("Proposed", p.Explanation));
        Assert.All(view.Proposals, p => Assert.InRange(p.Score, 0, 100));
        Assert.DoesNotContain("@example.org", request.GetRawText()); // contact details come only with an accepted match

        // Proposals shown to the learner hold no capacity and reach no mentor; a second request for the same learner waits for this one.
        Assert.Empty(await Read<List<MentoringApi.MentorOfferView>>(await mentorClients["Claire"].GetAsync("/api/mentors/me/offers")));
        Assert.Equal(0, (await Read<MentorsApi.MentorView>(await mentorClients["Claire"].GetAsync("/api/mentors/me"))).PendingProposals);
        Assert.True(view.ProposalsExpireAt > DateTimeOffset.UtcNow.AddDays(6));
        var second = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "jobSearch" } });
        await HttpPlatformTests.AssertProblem(second, HttpStatusCode.Conflict, "urn:matching:problem:conflict");

        // Cancelling frees the learner's slot.
        var cancelled = await Read<MentorRequests.RequestView>(await ngo.PostAsync($"/api/mentor-requests/{view.Id}/cancel", null));
        Assert.Equal(RequestStatus.Cancelled, cancelled.Status);
        Assert.Equal(0, (await Read<MentorsApi.MentorView>(await mentorClients["Claire"].GetAsync("/api/mentors/me"))).PendingProposals);
        Assert.Equal(HttpStatusCode.Accepted, (await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "jobSearch" } })).StatusCode);

        // Another NGO sees nothing of it.
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Ngo, NewOrg("ngo")).GetAsync(accepted.Headers.Location), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
    }

    [Fact]
    public async Task No_candidates_come_with_reasons_and_paused_or_full_mentors_are_left_out()
    {
        const string language = "ty";
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        await Json(await mentor.PutAsJsonAsync("/api/mentors/me", Mentor("Eve", language, ["cvReview"])));
        await Json(await mentor.PostAsync("/api/mentors/me/pause", null));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));

        // Nobody else speaks "ty" at a usable level: the paused mentor is the only one who could have helped.
        var learner = await LearnerAsync(ngo, LearnerProfile(language));
        var first = As<MentorRequests.RequestView>(await SettledAsync(ngo, (await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" } })).Headers.Location!));
        Assert.Equal(RequestStatus.NoCandidates, first.Status);
        var reasons = first.Reasons.Select(r => r.Code).ToList();
        Assert.Contains("paused", reasons);
        Assert.Contains("no-shared-language", reasons);
        Assert.Empty(first.Proposals);
    }

    [Fact]
    public async Task A_learner_asks_for_themself_only_and_bad_input_is_named()
    {
        var ngoOrg = NewOrg("ngo");
        var ngo = App.ClientFor(Role.Ngo, ngoOrg);
        var learner = await LearnerAsync(ngo, LearnerProfile("bi"));
        var self = App.ClientFor(Role.Learner, ngoOrg, subject: learner);
        Assert.Equal(HttpStatusCode.Accepted, (await self.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "digitalSkills" } })).StatusCode);
        var other = await LearnerAsync(ngo, LearnerProfile("bi"));
        await HttpPlatformTests.AssertProblem(await self.PostAsJsonAsync("/api/mentor-requests", new { learnerId = other, goals = new[] { "digitalSkills" } }),
            HttpStatusCode.NotFound, "urn:matching:problem:not-found");

        var bad = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = other, goals = Array.Empty<string>() });
        Assert.True((await HttpPlatformTests.AssertProblem(bad, HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors").TryGetProperty("goals", out _));
        var badProfile = await ngo.PutAsJsonAsync($"/api/learners/{other}/profile", new
        {
            languages = new[] { new { language = "xx", level = "b2" } },
            availability = new { timeZone = "Mars/Olympus", slots = new[] { new { day = "monday", start = "20:00:00", end = "18:00:00" } } },
            modes = new[] { "inPerson" },
        });
        var errors = (await HttpPlatformTests.AssertProblem(badProfile, HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors");
        foreach (var field in new[] { "languages[0].language", "availability.timeZone", "availability.slots[0]", "place" })
            Assert.True(errors.TryGetProperty(field, out _), $"{field} in {errors}");

        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        var badMentor = await mentor.PutAsJsonAsync("/api/mentors/me", new
        {
            displayName = "", contactEmail = "not-an-email", languages = new[] { new { language = "fr", level = "native" } }, expertise = new[] { "cvReview" },
            modes = new[] { "video" }, availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "18:00:00", end = "20:00:00" } } },
            capacity = 0,
        });
        var mentorErrors = (await HttpPlatformTests.AssertProblem(badMentor, HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors");
        foreach (var field in new[] { "displayName", "contactEmail", "capacity" }) Assert.True(mentorErrors.TryGetProperty(field, out _), field);
        await HttpPlatformTests.AssertProblem(await ngo.GetAsync("/api/mentors/me"), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
    }

    [Fact]
    public async Task A_newly_promoted_model_is_picked_up_without_a_restart()
    {
        const string language = "ch";
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        await Json(await mentor.PutAsJsonAsync("/api/mentors/me", Mentor("Farid", language, ["cvReview"], capacity: 5)));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));

        // Promote "v9" (the shipped model under a new version) in Blob Storage.
        var container = new BlobServiceClient(App.ConnectionString).GetBlobContainerClient("models");
        await container.CreateIfNotExistsAsync();
        var shipped = Path.Combine(AppContext.BaseDirectory, "Mentoring", "Model", "matching-v3");
        await container.GetBlobClient("v9.zip").UploadAsync(shipped + ".zip", overwrite: true);
        var report = File.ReadAllText(shipped + ".json").Replace("\"version\": \"v3\"", "\"version\": \"v9\"");
        await container.GetBlobClient("v9.json").UploadAsync(BinaryData.FromString(report), overwrite: true);
        var shippedModel = Matching.Training.Evaluation.LoadFile(shipped + ".zip").Model;
        var v9 = new Matching.Engine.TreeModel("v9", shippedModel.TreeList, shippedModel.Bias, shippedModel.Slope, shippedModel.Offset, [.. shippedModel.Baseline]);
        await container.GetBlobClient("v9.flat").UploadAsync(BinaryData.FromBytes(Matching.Engine.FlatModelFile.Write(v9)), overwrite: true);
        await container.GetBlobClient("current.json").UploadAsync(BinaryData.FromString("""{"version":"v9"}"""), overwrite: true);

        try
        {
            var scorer = await Eventually.Until(async () =>
            {
                var learner = await LearnerAsync(ngo, LearnerProfile(language));
                var r = await SettledAsync(ngo, (await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" } })).Headers.Location!);
                return r.GetProperty("scorer").GetString();
            }, s => s == "ml-v9", Patience, "the promoted model to score");
            Assert.Equal("ml-v9", scorer);
        }
        finally
        {
            await container.DeleteBlobIfExistsAsync("current.json");
        }
    }

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
}
