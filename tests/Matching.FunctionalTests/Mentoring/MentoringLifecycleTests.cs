using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Mentoring;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>From proposal to outcome: choose, offer, accept or decline, match with contacts, end; and what is refused.</summary>
[Collection(StorageCollection.Name)]
public sealed class MentoringLifecycleTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    private static string MentorIdOf(JsonElement request, string name) =>
        request.GetProperty("proposals").EnumerateArray().Single(p => p.GetProperty("displayName").GetString() == name).GetProperty("mentorId").GetString()!;

    private static Task<HttpResponseMessage> ChooseAsync(HttpClient client, JsonElement request, string mentorId) =>
        client.PostAsJsonAsync($"/api/mentor-requests/{request.GetProperty("id").GetString()}/choose", new { mentorId });

    [Fact]
    public async Task A_chosen_proposal_is_offered_and_accepted_into_a_match_whose_contacts_only_its_parties_see_until_it_ends()
    {
        const string language = "wo";
        var claire = await MentorAsync(App, "Claire", language, ["cvReview"], capacity: 1);
        var dalia = await MentorAsync(App, "Dalia", language, ["cvReview"]);
        var ngoOrg = NewOrg("ngo");
        var ngo = App.ClientFor(Role.Ngo, ngoOrg);
        var learnerId = await LearnerAsync(ngo, LearnerProfile(language, contact: new { kind = "phone", value = "+33612345678" }), name: "Awa");
        var request = await ProposedAsync(ngo, learnerId);
        var requestId = request.GetProperty("id").GetString()!;
        var claireId = MentorIdOf(request, "Claire");

        // Only the request's owner may choose: other roles, organisations and learners get nothing.
        await HttpPlatformTests.AssertProblem(await ChooseAsync(claire, request, claireId), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
        await HttpPlatformTests.AssertProblem(await ChooseAsync(App.ClientFor(Role.Ngo, NewOrg("ngo")), request, claireId), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        var otherLearner = App.ClientFor(Role.Learner, ngoOrg, subject: await LearnerAsync(ngo, LearnerProfile(language)));
        await HttpPlatformTests.AssertProblem(await ChooseAsync(otherLearner, request, claireId), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        var notProposed = await HttpPlatformTests.AssertProblem(await ChooseAsync(ngo, request, Guid.NewGuid().ToString("N")), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(notProposed.GetProperty("errors").TryGetProperty("mentorId", out _));

        // Chosen: offered to Claire, whose capacity is now taken; a retry changes nothing; another choice is a 409 naming the state.
        var offered = await Read<MentorRequests.RequestView>(await ChooseAsync(ngo, request, claireId));
        Assert.Equal(RequestStatus.Offered, offered.Status);
        Assert.Equal(claireId, offered.Offer?.MentorId);
        Assert.Equal(RequestStatus.Offered, (await Read<MentorRequests.RequestView>(await ChooseAsync(ngo, request, claireId))).Status);
        Assert.Equal(1, (await Read<MentorsApi.MentorView>(await claire.GetAsync("/api/mentors/me"))).PendingProposals);
        var again = await HttpPlatformTests.AssertProblem(await ChooseAsync(ngo, request, MentorIdOf(request, "Dalia")), HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        Assert.Equal("offered", again.GetProperty("currentStatus").GetString());

        // Claire sees what is asked, not who asks; Dalia sees nothing and cannot accept it.
        var offers = await Json(await claire.GetAsync("/api/mentors/me/offers"));
        var offer = Assert.Single(await Read<List<MentoringApi.MentorOfferView>>(await claire.GetAsync("/api/mentors/me/offers")));
        Assert.Equal(requestId, offer.RequestId);
        Assert.DoesNotContain("Awa", offers.GetRawText());
        Assert.DoesNotContain("+336", offers.GetRawText());
        Assert.Empty(await Read<List<MentoringApi.MentorOfferView>>(await dalia.GetAsync("/api/mentors/me/offers")));
        await HttpPlatformTests.AssertProblem(await dalia.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        Assert.DoesNotContain("@example.org", (await Json(await ngo.GetAsync($"/api/mentor-requests/{requestId}"))).GetRawText());

        // Accepted: a match, and only now the contacts; a retry changes nothing.
        var match = await Read<MentoringApi.MatchView>(await claire.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null));
        Assert.Equal("active", match.Status);
        Assert.Equal(new ContactChannel(ContactKind.Phone, "+33612345678"), match.Learner.Channel);
        Assert.Equal(new ContactChannel(ContactKind.Email, "claire@example.org"), match.Mentor.Channel);
        Assert.Equal("active", (await Read<MentoringApi.MatchView>(await claire.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null))).Status);
        var profile = await Read<MentorsApi.MentorView>(await claire.GetAsync("/api/mentors/me"));
        Assert.Equal((0, 1), (profile.PendingProposals, profile.ActiveMentees));
        var matched = await Read<MentorRequests.RequestView>(await ngo.GetAsync($"/api/mentor-requests/{requestId}"));
        Assert.Equal((RequestStatus.Matched, requestId), (matched.Status, matched.MatchId));

        // The match's parties and the learner's NGO see it with contacts; nobody else does.
        var self = App.ClientFor(Role.Learner, ngoOrg, subject: learnerId);
        foreach (var party in new[] { ngo, self, claire })
            Assert.Equal("claire@example.org", (await Read<MentoringApi.MatchView>(await party.GetAsync($"/api/matches/{requestId}"))).Mentor.Channel?.Value);
        foreach (var outsider in new[] { dalia, otherLearner, App.ClientFor(Role.Ngo, NewOrg("ngo")) })
            await HttpPlatformTests.AssertProblem(await outsider.GetAsync($"/api/matches/{requestId}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Provider, ngoOrg).GetAsync($"/api/matches/{requestId}"), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");

        // A match holds the learner's slot and cannot be cancelled, only ended.
        Assert.Equal("matched", (await HttpPlatformTests.AssertProblem(await ngo.PostAsync($"/api/mentor-requests/{requestId}/cancel", null),
            HttpStatusCode.Conflict, "urn:matching:problem:conflict")).GetProperty("currentStatus").GetString());
        await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId, goals = new[] { "jobSearch" } }), HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        var badEnd = await HttpPlatformTests.AssertProblem(await self.PostAsJsonAsync($"/api/matches/{requestId}/end", new { outcome = "happy" }), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(badEnd.GetProperty("errors").TryGetProperty("outcome", out _));

        var ended = await Json(await self.PostAsJsonAsync($"/api/matches/{requestId}/end", new { outcome = "goalReachedJob" }));
        Assert.Equal(("ended", "goalReachedJob", "learner"), (ended.GetProperty("status").GetString(), ended.GetProperty("outcome").GetString(), ended.GetProperty("endedBy").GetString()));
        Assert.Equal(0, (await MentorProfileAsync(claire)).GetProperty("activeMentees").GetInt32());
        Assert.Contains((await Json(await ngo.GetAsync("/api/matches"))).EnumerateArray(), m => m.GetProperty("id").GetString() == requestId && m.GetProperty("outcome").GetString() == "goalReachedJob");
        Assert.Contains((await Json(await claire.GetAsync("/api/matches"))).EnumerateArray(), m => m.GetProperty("id").GetString() == requestId && m.GetProperty("status").GetString() == "ended");
        // Ending it again (the mentor, a moment later) keeps the first outcome.
        Assert.Equal("goalReachedJob", (await Json(await claire.PostAsJsonAsync($"/api/matches/{requestId}/end", new { outcome = "other" }))).GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId, goals = new[] { "jobSearch" } })).StatusCode);
    }

    [Fact]
    public async Task A_decline_offers_the_next_proposal_and_when_none_is_left_the_request_is_scored_again_without_those_who_declined()
    {
        const string language = "ln";
        var amadou = await MentorAsync(App, "Amadou", language, ["cvReview"]);
        var binta = await MentorAsync(App, "Binta", language, ["cvReview"]);
        var ngoOrg = NewOrg("ngo");
        var ngo = App.ClientFor(Role.Ngo, ngoOrg);
        var learnerId = await LearnerAsync(ngo, LearnerProfile(language));
        var request = await ProposedAsync(ngo, learnerId);
        var requestId = request.GetProperty("id").GetString()!;
        var (amadouId, bintaId) = (MentorIdOf(request, "Amadou"), MentorIdOf(request, "Binta"));
        await Json(await ChooseAsync(ngo, request, amadouId));

        var bad = await HttpPlatformTests.AssertProblem(await amadou.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "busy", note = new string('x', 501) }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(bad.GetProperty("errors").TryGetProperty("reason", out _), bad.ToString());
        var longNote = await HttpPlatformTests.AssertProblem(await amadou.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "tooFar", note = new string('x', 501) }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.True(longNote.GetProperty("errors").TryGetProperty("note", out _));

        // Amadou declines: Binta is offered at once, nobody asked; Amadou's capacity is back.
        Assert.Equal(HttpStatusCode.NoContent, (await amadou.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "tooFar", note = "I moved to Lyon" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await amadou.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "tooFar", note = "I moved to Lyon" })).StatusCode); // a retry
        var next = await Json(await ngo.GetAsync($"/api/mentor-requests/{requestId}"));
        Assert.Equal(("offered", bintaId), (next.GetProperty("status").GetString(), next.GetProperty("offer").GetProperty("mentorId").GetString()));
        var decline = Assert.Single(next.GetProperty("declines").EnumerateArray());
        Assert.Equal(("tooFar", "I moved to Lyon"), (decline.GetProperty("reason").GetString(), decline.GetProperty("note").GetString()));
        var learnerView = await Json(await App.ClientFor(Role.Learner, ngoOrg, subject: learnerId).GetAsync($"/api/mentor-requests/{requestId}"));
        Assert.Equal(JsonValueKind.Null, learnerView.GetProperty("declines")[0].GetProperty("note").ValueKind); // the note is for the NGO's staff
        Assert.Equal(0, (await MentorProfileAsync(amadou)).GetProperty("pendingProposals").GetInt32());
        Assert.Equal(1, (await MentorProfileAsync(binta)).GetProperty("pendingProposals").GetInt32());
        // Having declined, Amadou can no longer accept: the request has moved on.
        await HttpPlatformTests.AssertProblem(await amadou.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null), HttpStatusCode.Conflict, "urn:matching:problem:conflict");

        // Binta declines too: nothing is left, so the request is scored again, without both of them; Chloé joined meanwhile.
        var chloe = await MentorAsync(App, "Chloe", language, ["cvReview"]);
        Assert.Equal(HttpStatusCode.NoContent, (await binta.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "language" })).StatusCode);
        var rescored = await Eventually.Until(async () => await Json(await ngo.GetAsync($"/api/mentor-requests/{requestId}")),
            r => r.GetProperty("status").GetString() == "proposed", Patience, "the request to be scored again");
        Assert.Equal("Chloe", Assert.Single(rescored.GetProperty("proposals").EnumerateArray()).GetProperty("displayName").GetString());
        Assert.Equal(2, rescored.GetProperty("declines").GetArrayLength());
        Assert.Equal(0, (await MentorProfileAsync(binta)).GetProperty("pendingProposals").GetInt32());
        Assert.Equal(0, (await MentorProfileAsync(chloe)).GetProperty("pendingProposals").GetInt32()); // proposed, not offered
    }

    [Fact]
    public async Task Two_hundred_concurrent_choices_of_one_mentor_with_room_for_two_give_two_offers()
    {
        const string language = "sg";
        var mentor = await MentorAsync(App, "Sami", language, ["cvReview"], capacity: 2);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var requests = new List<JsonElement>();
        foreach (var batch in Enumerable.Range(0, 200).Chunk(25))
            requests.AddRange(await Task.WhenAll(batch.Select(async _ => await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(language))))));
        var mentorId = MentorIdOf(requests[0], "Sami");

        using var start = new SemaphoreSlim(0);
        var choices = requests.Select(async r => { await start.WaitAsync(); return await ChooseAsync(ngo, r, mentorId); }).ToList();
        start.Release(choices.Count);
        var answers = await Task.WhenAll(choices);

        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Equal(198, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(2, (await MentorProfileAsync(mentor)).GetProperty("pendingProposals").GetInt32());
        Assert.Equal(2, (await Json(await mentor.GetAsync("/api/mentors/me/offers"))).GetArrayLength());
        var refused = await answers.First(a => a.StatusCode == HttpStatusCode.Conflict).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("proposed", refused.GetProperty("currentStatus").GetString()); // still open: choose another
    }

    [Fact]
    public async Task Accepts_racing_declines_of_one_offer_tell_every_caller_the_same_outcome()
    {
        const string language = "qu";
        var outcomes = new List<string>();
        for (var round = 0; round < 6; round++)
        {
            var mentor = await MentorAsync(App, $"Tiare{round}", language, ["cvReview"], capacity: 1);
            var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
            var request = await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(language)));
            var requestId = request.GetProperty("id").GetString()!;
            (await ChooseAsync(ngo, request, MentorIdOf(request, $"Tiare{round}"))).EnsureSuccessStatusCode();

            using var start = new SemaphoreSlim(0);
            var accepts = Enumerable.Range(0, 25).Select(async _ => { await start.WaitAsync(); return await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null); }).ToList();
            var declines = Enumerable.Range(0, 25).Select(async _ => { await start.WaitAsync(); return await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "noTimeNow" }); }).ToList();
            start.Release(50);
            var accepted = await Task.WhenAll(accepts);
            var declined = await Task.WhenAll(declines);

            var status = (await Json(await ngo.GetAsync($"/api/mentor-requests/{requestId}"))).GetProperty("status").GetString();
            outcomes.Add(status!);
            Assert.All(accepted.Concat(declined), a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent or HttpStatusCode.Conflict, a.StatusCode.ToString()));
            if (status == "matched")
            {
                Assert.All(accepted, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
                foreach (var d in declined)
                    Assert.Equal("matched", (await HttpPlatformTests.AssertProblem(d, HttpStatusCode.Conflict, "urn:matching:problem:conflict")).GetProperty("currentStatus").GetString());
            }
            else
            {
                Assert.All(declined, d => Assert.Equal(HttpStatusCode.NoContent, d.StatusCode));
                Assert.All(accepted, a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
                Assert.Equal(0, (await MentorProfileAsync(mentor)).GetProperty("activeMentees").GetInt32());
            }
        }
        Assert.Contains("matched", outcomes); // the race was run, not decided before it started
    }

    [Fact]
    public async Task Accepts_racing_declines_make_one_match_seen_alike_from_every_side_and_counted_once()
    {
        // Offer after offer to one mentor, each raced by 25 accepts and 25 declines at once: every match made is the
        // mentor's as much as the NGO's (found, listed, open to sessions) and counts once against their capacity; each
        // match is then ended, which gives its unit back.
        const string language = "kl";
        var mentor = await MentorAsync(App, "Naja", language, ["cvReview"], capacity: 1);
        var matched = new List<string>();
        for (var round = 0; round < 30; round++)
        {
            var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
            var request = await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(language)));
            var requestId = request.GetProperty("id").GetString()!;
            (await ChooseAsync(ngo, request, MentorIdOf(request, "Naja"))).EnsureSuccessStatusCode();

            using var start = new SemaphoreSlim(0);
            var calls = Enumerable.Range(0, 50).Select(async i =>
            {
                await start.WaitAsync();
                if (i % 2 == 0) return await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null);
                await Task.Delay(i % 10); // declines spread over the moments just after the accept may land, where a stale one once undid it
                return await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "noTimeNow" });
            }).ToList();
            start.Release(calls.Count);
            Assert.All(await Task.WhenAll(calls), a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent or HttpStatusCode.Conflict, a.StatusCode.ToString()));

            var status = (await Json(await ngo.GetAsync($"/api/mentor-requests/{requestId}"))).GetProperty("status").GetString();
            var mentorSees = await mentor.GetAsync($"/api/matches/{requestId}");
            var profile = await MentorProfileAsync(mentor);
            Assert.Equal(0, profile.GetProperty("pendingProposals").GetInt32());
            if (status == "matched")
            {
                matched.Add(requestId);
                Assert.Equal(HttpStatusCode.OK, mentorSees.StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await ngo.GetAsync($"/api/matches/{requestId}")).StatusCode);
                Assert.Equal(1, profile.GetProperty("activeMentees").GetInt32());
                var session = await mentor.PostAsJsonAsync($"/api/matches/{requestId}/sessions",
                    new { start = NextInParis(DayOfWeek.Monday, 18, 0), durationMinutes = 60, mode = "phone" });
                Assert.Equal(HttpStatusCode.Created, session.StatusCode);
                (await ngo.PostAsJsonAsync($"/api/matches/{requestId}/end", new { outcome = "other" })).EnsureSuccessStatusCode();
            }
            else
            {
                Assert.Equal(HttpStatusCode.NotFound, mentorSees.StatusCode);
                Assert.Equal(0, profile.GetProperty("activeMentees").GetInt32());
            }
            var listed = (await Json(await mentor.GetAsync("/api/matches"))).EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
            Assert.Equal(matched.Order(), listed.Order());
            Assert.Equal(0, (await MentorProfileAsync(mentor)).GetProperty("activeMentees").GetInt32());
        }
        Assert.NotEmpty(matched); // the race was run, not decided before it started
    }

    [Fact]
    public async Task A_second_decline_with_another_reason_is_refused_naming_the_recorded_one()
    {
        const string language = "iu";
        var mentor = await MentorAsync(App, "Tahir", language, ["cvReview"], capacity: 1);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var request = await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(language)));
        var requestId = request.GetProperty("id").GetString()!;
        (await ChooseAsync(ngo, request, MentorIdOf(request, "Tahir"))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NoContent, (await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "tooFar" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "tooFar" })).StatusCode);
        var other = await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{requestId}/decline", new { reason = "language" }),
            HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        Assert.Contains("tooFar", other.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_programme_with_a_quota_takes_requests_until_its_sessions_are_used_up_or_its_window_closes()
    {
        const string language = "ve";
        var mentor = await MentorAsync(App, "Vusi", language, ["cvReview"], capacity: 3);
        var providerOrg = NewOrg("provider");
        var provider = App.ClientFor(Role.Provider, providerOrg);
        var bad = await HttpPlatformTests.AssertProblem(await provider.PostAsJsonAsync("/api/programmes", new
        {
            name = "x", opensAt = DateTimeOffset.UtcNow, closesAt = DateTimeOffset.UtcNow.AddDays(-1), goals = Array.Empty<string>(), modes = new[] { "video" }, sessionQuota = 0,
        }), HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        foreach (var field in new[] { "name", "closesAt", "goals", "sessionQuota" }) Assert.True(bad.GetProperty("errors").TryGetProperty(field, out _), field);
        var programme = await Json(await provider.PostAsJsonAsync("/api/programmes", new
        {
            name = "Coaching numérique", opensAt = DateTimeOffset.UtcNow.AddDays(-1), closesAt = DateTimeOffset.UtcNow.AddDays(90),
            goals = new[] { "cvReview", "digitalSkills" }, modes = new[] { "video" }, sessionQuota = 1,
        }));
        var programmeId = programme.GetProperty("id").GetString()!;
        var over = await Json(await provider.PostAsJsonAsync("/api/programmes", new
        {
            name = "Last summer", opensAt = DateTimeOffset.UtcNow.AddDays(-100), closesAt = DateTimeOffset.UtcNow.AddDays(-10),
            goals = new[] { "cvReview" }, modes = new[] { "video" }, sessionQuota = 10,
        }));

        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        object Profile() => new
        {
            languages = new object[] { new { language, level = "b2" } },
            availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "17:00:00", end = "21:00:00" } } },
            modes = new[] { "video", "phone" },
        };
        var learner = await LearnerAsync(ngo, Profile());
        var closed = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" }, programmeId = over.GetProperty("id").GetString() }),
            HttpStatusCode.Conflict, "urn:matching:problem:programme-unavailable");
        Assert.Contains("window", closed.GetProperty("detail").GetString());
        await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "jobSearch" }, programmeId }),
            HttpStatusCode.Conflict, "urn:matching:problem:programme-unavailable");
        await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" }, programmeId = Guid.NewGuid().ToString("N") }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");

        var accepted = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" }, programmeId });
        var request = await SettledAsync(ngo, accepted.Headers.Location!);
        Assert.Equal(programmeId, request.GetProperty("programmeId").GetString());
        var requestId = request.GetProperty("id").GetString()!;
        (await ChooseAsync(ngo, request, MentorIdOf(request, "Vusi"))).EnsureSuccessStatusCode();
        (await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null)).EnsureSuccessStatusCode();

        // The programme runs by video: a phone session is refused; a confirmed video session uses its one-session quota.
        var start = NextInParis(DayOfWeek.Monday, 18, 30);
        var phone = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync($"/api/matches/{requestId}/sessions", new { start, durationMinutes = 60, mode = "phone" }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation");
        Assert.Contains("programme", phone.GetProperty("errors").GetProperty("mode")[0].GetString());
        var session = await Json(await mentor.PostAsJsonAsync($"/api/matches/{requestId}/sessions", new { start, durationMinutes = 60, mode = "video", videoLink = "https://meet.example.org/v" }));
        (await ngo.PostAsJsonAsync($"/api/matches/{requestId}/sessions/{session.GetProperty("id").GetString()}/confirm", new { })).EnsureSuccessStatusCode();
        var now = await Json(await ngo.GetAsync($"/api/programmes/{programmeId}"));
        Assert.Equal((1, false), (now.GetProperty("sessionsConfirmed").GetInt32(), now.GetProperty("acceptingRequests").GetBoolean()));

        var another = await LearnerAsync(ngo, Profile());
        var full = await HttpPlatformTests.AssertProblem(await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = another, goals = new[] { "cvReview" }, programmeId }),
            HttpStatusCode.Conflict, "urn:matching:problem:programme-unavailable");
        Assert.Contains("quota", full.GetProperty("detail").GetString());

        // The runner sees the programme's impact.
        var impact = await Json(await provider.GetAsync($"/api/reports/impact?programme={programmeId}"));
        Assert.Equal((1, 1), (impact.GetProperty("requests").GetInt32(), impact.GetProperty("matches").GetInt32()));
        await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync("/api/programmes", new { }), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
    }

    [Fact]
    public async Task Mentors_and_learners_export_everything_about_them_and_erasure_gives_back_what_they_held_and_keeps_only_pseudonymous_outcomes()
    {
        const string language = "xh";
        var aziz = await MentorAsync(App, "Aziz", language, ["cvReview"]);
        var bela = await MentorAsync(App, "Bela", language, ["cvReview"]);
        var ngoOrg = NewOrg("ngo");
        var ngo = App.ClientFor(Role.Ngo, ngoOrg);
        var first = await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(language)));
        await Json(await ChooseAsync(ngo, first, MentorIdOf(first, "Aziz")));
        var learner = await LearnerAsync(ngo, new
        {
            languages = new object[] { new { language, level = "b2" } },
            availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "17:00:00", end = "21:00:00" } } },
            modes = new[] { "phone" }, targetOccupation = "nurse", notes = "Staff only: follow her papers closely",
            contact = new { kind = "email", value = "zola@example.net" },
        }, name: "Zola");
        var accepted = await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId = learner, goals = new[] { "cvReview" }, goalText = "I worked as a nurse in Kinshasa" });
        var second = await SettledAsync(ngo, accepted.Headers.Location!);
        var secondId = second.GetProperty("id").GetString()!;
        await Json(await ChooseAsync(ngo, second, MentorIdOf(second, "Bela")));
        (await bela.PostAsync($"/api/mentors/me/offers/{secondId}/accept", null)).EnsureSuccessStatusCode();

        // Aziz sees all that is kept about him, then erases himself: his open offer passes to the next proposal.
        var azizData = await Json(await aziz.GetAsync("/api/mentors/me/data"));
        Assert.Equal("aziz@example.org", azizData.GetProperty("profile").GetProperty("contactEmail").GetString());
        Assert.Contains(azizData.GetProperty("offersAndMatches").EnumerateArray(), h => h.GetProperty("requestId").GetString() == first.GetProperty("id").GetString());
        Assert.Contains(second.GetProperty("proposals").EnumerateArray(), p => p.GetProperty("displayName").GetString() == "Aziz");
        Assert.Equal(HttpStatusCode.NoContent, (await aziz.DeleteAsync("/api/mentors/me")).StatusCode);
        // His old token is refused everywhere: it cannot un-pause the erased profile, answer check-ins or save a profile.
        foreach (var call in new Func<Task<HttpResponseMessage>>[]
        {
            () => aziz.GetAsync("/api/mentors/me"), () => aziz.PostAsync("/api/mentors/me/resume", null), () => aziz.PostAsync("/api/mentors/me/pause", null),
            () => aziz.GetAsync("/api/check-ins"), () => aziz.PostAsJsonAsync($"/api/check-ins/{Guid.NewGuid():N}", new { attendance = "held" }),
            () => aziz.PutAsJsonAsync("/api/mentors/me", Mentor("Aziz", language, ["cvReview"])), () => aziz.GetAsync("/api/mentors/me/data"),
        })
            await HttpPlatformTests.AssertProblem(await call(), HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
        // Requests that proposed him lose his name, in their view and in the learner's export, once the scrub has run.
        await Eventually.Until(async () => await (await ngo.GetAsync($"/api/mentor-requests/{secondId}")).Content.ReadAsStringAsync(), text => !text.Contains("Aziz"),
            Patience, "Aziz's name to leave the requests that proposed him");
        Assert.DoesNotContain("Aziz", await (await ngo.GetAsync($"/api/learners/{learner}/data")).Content.ReadAsStringAsync());
        var moved = await Json(await ngo.GetAsync($"/api/mentor-requests/{first.GetProperty("id").GetString()}"));
        Assert.Equal(("offered", MentorIdOf(first, "Bela")), (moved.GetProperty("status").GetString(), moved.GetProperty("offer").GetProperty("mentorId").GetString()));
        var later = await ProposedAsync(ngo, await LearnerAsync(ngo, LearnerProfile(language)));
        Assert.DoesNotContain("Aziz", later.GetRawText());

        // Zola, or her NGO, sees all that is kept about her; another learner of the NGO sees nothing of it.
        var self = App.ClientFor(Role.Learner, ngoOrg, subject: learner);
        var zola = await Json(await self.GetAsync($"/api/learners/{learner}/data"));
        Assert.Equal("Zola", zola.GetProperty("learner").GetProperty("displayName").GetString());
        // Every key camelCase, as in every other answer (issue 29, item 13: the learner's section was PascalCase).
        static IEnumerable<string> Keys(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Keys(p.Value).Prepend(p.Name)),
            JsonValueKind.Array => e.EnumerateArray().SelectMany(Keys),
            _ => [],
        };
        Assert.All(Keys(zola), key => Assert.True(char.IsLower(key[0]), $"{key} in {zola}"));
        Assert.Contains("zola@example.net", zola.GetRawText());
        // Notes meant for the NGO's staff are in the NGO's export of her data, not in her own.
        Assert.DoesNotContain("Staff only", zola.GetRawText());
        Assert.Contains("Staff only", await (await ngo.GetAsync($"/api/learners/{learner}/data")).Content.ReadAsStringAsync());
        Assert.Equal("matched", zola.GetProperty("mentoring").GetProperty("requests")[0].GetProperty("request").GetProperty("status").GetString());
        // Another learner of the NGO sees nothing of it; a token naming no learner at all is refused.
        var other = App.ClientFor(Role.Learner, ngoOrg, subject: await LearnerAsync(ngo, LearnerProfile(language)));
        await HttpPlatformTests.AssertProblem(await other.GetAsync($"/api/learners/{learner}/data"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Learner, ngoOrg, subject: Guid.NewGuid().ToString("N")).GetAsync($"/api/learners/{learner}/data"),
            HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
        await HttpPlatformTests.AssertProblem(await App.ClientFor(Role.Ngo, NewOrg("ngo")).DeleteAsync($"/api/learners/{learner}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");

        // She erases herself: the match ends and Bela's capacity comes back; the outcome stays, without her words.
        Assert.Equal(HttpStatusCode.NoContent, (await self.DeleteAsync($"/api/learners/{learner}")).StatusCode);
        var belaNow = await MentorProfileAsync(bela);
        Assert.Equal((0, 1), (belaNow.GetProperty("activeMentees").GetInt32(), belaNow.GetProperty("pendingProposals").GetInt32())); // the first request's offer only
        var kept = await Json(await ngo.GetAsync($"/api/mentor-requests/{secondId}"));
        Assert.Equal("ended", kept.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("goalText").ValueKind);
        await HttpPlatformTests.AssertProblem(await ngo.GetAsync($"/api/learners/{learner}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        var match = await Json(await bela.GetAsync($"/api/matches/{secondId}"));
        Assert.Equal(("ended", "learnerStopped"), (match.GetProperty("status").GetString(), match.GetProperty("outcome").GetString()));
        Assert.DoesNotContain("zola@example.net", match.GetRawText());
        // Her old token is refused too.
        await HttpPlatformTests.AssertProblem(await self.GetAsync("/api/check-ins"), HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
    }
}
