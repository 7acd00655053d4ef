using System.Net.Http.Json;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Engine;
using Matching.Training;
using Matching.Security;
using Microsoft.Extensions.DependencyInjection;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// A whole cohort through the API (requests, choices, accepts, declines, expiries, sessions, check-ins), then the
/// training export, read by the training code with no data problem, and a model trained on it.
/// </summary>
public sealed class MentoringCohortTests() : OwnStorageTests(new Dictionary<string, string?> { ["Mentoring:Retrain:MinimumOutcomes"] = "20" }, fakeClock: true)
{
    private const string Language = "tn";

    [Fact]
    public async Task A_cohort_run_through_the_lifecycle_exports_outcomes_that_train_a_model()
    {
        var expertise = new[] { new[] { "cvReview" }, new[] { "jobSearch", "cvReview" }, new[] { "interviewPreparation" }, new[] { "cvReview", "digitalSkills" }, new[] { "jobSearch" }, new[] { "professionalProject" } };
        var mentors = new Dictionary<string, HttpClient>();
        for (var i = 0; i < expertise.Length; i++)
        {
            var client = await MentorAsync(App, $"Mentor{i}", Language, expertise[i], capacity: 10);  // the maximum: some fill up
            mentors[(await MentorProfileAsync(client)).GetProperty("id").GetString()!] = client;
        }
        var decliners = mentors.Keys.Where((_, i) => i % 3 == 0).ToHashSet(); // some mentors decline everything
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var goals = new[] { "cvReview", "jobSearch", "interviewPreparation", "digitalSkills" };
        var start = NextInParis(DayOfWeek.Monday, 18, 30);

        var matched = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var learner = await LearnerAsync(ngo, LearnerProfile(Language), name: $"Learner{i}");
            var request = await ProposedAsync(ngo, learner, goals[i % goals.Length]);
            var id = request.GetProperty("id").GetString()!;
            if (i % 8 == 7) return; // nobody chooses: these proposals expire
            // The NGO chooses the first proposal whose mentor still has room (a full one answers 409: choose another).
            string? offeredTo = null;
            foreach (var proposal in request.GetProperty("proposals").EnumerateArray())
            {
                var candidate = proposal.GetProperty("mentorId").GetString()!;
                var chosen = await ngo.PostAsJsonAsync($"/api/mentor-requests/{id}/choose", new { mentorId = candidate });
                if (chosen.StatusCode == System.Net.HttpStatusCode.Conflict) continue;
                chosen.EnsureSuccessStatusCode();
                offeredTo = candidate;
                break;
            }
            if (offeredTo is null) return;
            // Decliners decline; the next proposal is offered by itself, until someone accepts or none is left.
            while (decliners.Contains(offeredTo))
            {
                (await mentors[offeredTo].PostAsJsonAsync($"/api/mentors/me/offers/{id}/decline", new { reason = i % 2 == 0 ? "noTimeNow" : "language" })).EnsureSuccessStatusCode();
                var now = await Json(await ngo.GetAsync($"/api/mentor-requests/{id}"));
                if (now.GetProperty("status").GetString() != "offered") return;
                offeredTo = now.GetProperty("offer").GetProperty("mentorId").GetString()!;
            }
            (await mentors[offeredTo].PostAsync($"/api/mentors/me/offers/{id}/accept", null)).EnsureSuccessStatusCode();
            Interlocked.Increment(ref matched);
            var session = await Json(await mentors[offeredTo].PostAsJsonAsync($"/api/matches/{id}/sessions", new { start, durationMinutes = 60, mode = "phone" }));
            (await ngo.PostAsJsonAsync($"/api/matches/{id}/sessions/{session.GetProperty("id").GetString()}/confirm", new { })).EnsureSuccessStatusCode();
        });
        Assert.InRange(matched, 20, 35);

        // Time passes: unchosen proposals expire, sessions end, check-ins open; both sides answer.
        Clock.SetUtcNow(start.AddHours(2));
        await App.RunTimerAsync("ExpireMentoringDeadlines");
        var pending = await Json(await ngo.GetAsync("/api/check-ins"));
        Assert.Equal(matched, pending.GetArrayLength());
        var (n, held) = (0, 0);
        foreach (var checkIn in pending.EnumerateArray())
        {
            var sessionId = checkIn.GetProperty("sessionId").GetString()!;
            var noShow = n++ % 5 == 4;
            if (!noShow) held++;
            object answer = noShow ? new { attendance = "noShow" } : new { attendance = "held", rating = 1 + n % 5 };
            (await ngo.PostAsJsonAsync($"/api/check-ins/{sessionId}", answer)).EnsureSuccessStatusCode();
        }

        var admin = App.ClientFor(Role.Operator, "platform");
        await HttpPlatformTests.AssertProblem(await ngo.GetAsync("/api/exports/training-data"), System.Net.HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
        var export = await admin.GetAsync("/api/exports/training-data");
        Assert.Equal("application/x-ndjson", export.Content.Headers.ContentType?.MediaType);
        var text = await export.Content.ReadAsStringAsync();
        Assert.DoesNotContain("@example.org", text);
        Assert.DoesNotContain("Learner1", text);
        // No free text: bios, occupations and sectors leave as keyed word codes only.
        Assert.DoesNotContain("interviews", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("developer", text, StringComparison.OrdinalIgnoreCase);
        Assert.All(mentors.Keys, id => Assert.DoesNotContain(id, text)); // pseudonymised
        // With a key the app made and keeps in its own storage (none configured here): the same in every export.
        Assert.Equal(text, await (await admin.GetAsync("/api/exports/training-data")).Content.ReadAsStringAsync());
        var keyBlobs = App.Services.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>().GetBlobContainerClient(Matching.Mentoring.PseudonymKey.Container);
        Assert.Single(keyBlobs.GetBlobs());

        var data = TrainingData.Read(new StringReader(text));
        Assert.Empty(data.Problems);
        Assert.True(data.Outcomes.Count >= held + 5, $"{data.Outcomes.Count} outcomes");
        Assert.Equal(held, data.Outcomes.Count(o => o.Accepted)); // a match with no session held yet is not settled: not exported
        Assert.All(data.Outcomes.Where(o => o.Accepted), o => Assert.True(o.SessionHeld));
        Assert.Contains(data.Outcomes, o => o.DeclineReason == "noTimeNow");
        Assert.Contains(data.Outcomes, o => o is { Accepted: false, Offered: false }); // proposals nobody chose
        Assert.All(data.Outcomes, o => Assert.NotNull(o.ProposedAt));

        // The weekly retraining runs on this export: a candidate is judged and recorded, promoted or not.
        await App.RunTimerAsync("RetrainModel");
        var version = Assert.Single(JsonDocument.Parse(await admin.GetStringAsync("/api/models")).RootElement.EnumerateArray());
        Assert.Contains(version.GetProperty("decision").GetString(), new[] { "passed", "rejected" });
        Assert.Equal(version.GetProperty("decision").GetString() == "passed", version.GetProperty("current").GetBoolean());
        Assert.StartsWith("the service's export:", version.GetProperty("data").GetString());
        // A few dozen accepted offers cannot teach the two sides apart: one model, and the registry says why.
        Assert.Matches("^one-sided: [0-9]+ accepted offers, fewer than 100$", version.GetProperty("sides").GetString());

        var folder = Directory.CreateTempSubdirectory("matching-cohort-").FullName;
        try
        {
            var report = Evaluation.TrainAndEvaluate(data, folder, "cohort", DateTimeOffset.UtcNow, new MlNetTrees.TrainingOptions(), "the cohort's export");
            Assert.True(report.TrainExamples > 0 && report.TestRequests > 0);
            Assert.True(File.Exists(Path.Combine(folder, "cohort.zip")));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
