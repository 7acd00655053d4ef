using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>What the API refuses, and how it says so: each rule named on its own, in the reader's language, and every
/// operation's possible answers declared (issue 29's outside findings 4, 5, 6 and 16).</summary>
[Collection(StorageCollection.Name)]
public sealed class InputRulesTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    private static async Task<string[]> ErrorsOf(HttpResponseMessage response, string field)
    {
        var errors = (await HttpPlatformTests.AssertProblem(response, HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), errors.ToString());
        return messages.EnumerateArray().Select(m => m.GetString()!).ToArray();
    }

    [Theory]
    [InlineData("Rosa\r\nBcc: someone@example.org"), InlineData("Rosa\tMartin"), InlineData("Rosa\u0007")]
    public async Task A_name_with_a_control_character_is_refused_naming_that_rule(string name)
    {
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        var messages = await ErrorsOf(await mentor.PutAsJsonAsync("/api/mentors/me", Mentor(name, "rm", ["cvReview"])), "displayName");
        Assert.Equal(["No control characters (line breaks, tabs and the like)."], messages);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        Assert.Equal(["No control characters (line breaks, tabs and the like)."], await ErrorsOf(await ngo.PostAsJsonAsync("/api/learners", new { displayName = name }), "displayName"));
        var provider = App.ClientFor(Role.Provider, NewOrg("provider"));
        Assert.Contains("No control characters (line breaks, tabs and the like).", await ErrorsOf(await provider.PostAsJsonAsync("/api/programmes", new
        {
            name, opensAt = DateTimeOffset.UtcNow, closesAt = DateTimeOffset.UtcNow.AddDays(3), goals = new[] { "cvReview" }, modes = new[] { "video" }, sessionQuota = 2,
        }), "name"));
    }

    [Fact]
    public async Task A_control_character_in_a_note_is_named_as_such_not_as_a_length()
    {
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        var messages = await ErrorsOf(await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{Guid.NewGuid():N}/decline", new { reason = "tooFar", note = "loin\u0001" }), "note");
        Assert.Equal(["No control characters other than line breaks."], messages);
        var longNote = await ErrorsOf(await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{Guid.NewGuid():N}/decline", new { reason = "tooFar", note = new string('a', 501) }), "note");
        Assert.Equal(["At most 500 characters."], longNote);
    }

    [Fact]
    public async Task An_erased_mentors_old_token_is_told_why_in_french()
    {
        var mentor = await MentorAsync(App, "Odile", "rm", ["cvReview"]);
        Assert.Equal(HttpStatusCode.NoContent, (await mentor.DeleteAsync("/api/mentors/me")).StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/mentors/me");
        request.Headers.AcceptLanguage.ParseAdd("fr");
        var refused = await HttpPlatformTests.AssertProblem(await mentor.SendAsync(request), HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
        Assert.Equal("Ce profil de mentor a été effacé après l'émission du jeton. Reconnectez-vous.", refused.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("format="), InlineData("programme="), InlineData("programme=not-an-id")]
    public async Task An_empty_or_malformed_report_parameter_is_a_400_naming_it(string query)
    {
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        await ErrorsOf(await ngo.GetAsync($"/api/reports/impact?{query}"), query.Split('=')[0]);
    }

    [Fact]
    public async Task Every_operation_declares_that_storage_may_be_unavailable()
    {
        var doc = JsonNode.Parse(await App.CreateClient().GetStringAsync("/api/openapi/v1.json"))!;
        var missing = (from path in doc["paths"]!.AsObject()
                       from op in path.Value!.AsObject()
                       where op.Value!["responses"]?["503"] is null
                       select $"{op.Key.ToUpperInvariant()} {path.Key}").ToList();
        Assert.Empty(missing);
    }

    /// <summary>Issue 29, item 10: the 409 on a second request gave advice (cancel) that then failed for a matched learner;
    /// its advice now fits the status, in the reader's language, and following it works.</summary>
    [Fact]
    public async Task A_second_request_for_a_matched_learner_is_told_to_end_the_match_and_that_works()
    {
        var mentor = await MentorAsync(App, "Rania", "rw", ["cvReview"]);
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var learnerId = await LearnerAsync(ngo, LearnerProfile("rw"));
        var request = await ProposedAsync(ngo, learnerId);
        var requestId = request.GetProperty("id").GetString()!;
        (await ngo.PostAsJsonAsync($"/api/mentor-requests/{requestId}/choose", new { mentorId = request.GetProperty("proposals")[0].GetProperty("mentorId").GetString() })).EnsureSuccessStatusCode();
        (await mentor.PostAsync($"/api/mentors/me/offers/{requestId}/accept", null)).EnsureSuccessStatusCode();

        var second = new HttpRequestMessage(HttpMethod.Post, "/api/mentor-requests") { Content = JsonContent.Create(new { learnerId, goals = new[] { "jobSearch" } }) };
        second.Headers.AcceptLanguage.ParseAdd("fr");
        var refused = await HttpPlatformTests.AssertProblem(await ngo.SendAsync(second), HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        Assert.Equal($"La personne a déjà un mentor (demande {requestId}) : terminez d'abord la mise en relation avec POST /api/matches/{requestId}/end, ou suivez-la sur /api/matches/{requestId}.",
            refused.GetProperty("detail").GetString());
        // The advice that was given before fails: a match cannot be cancelled.
        Assert.Equal(HttpStatusCode.Conflict, (await ngo.PostAsync($"/api/mentor-requests/{requestId}/cancel", null)).StatusCode);
        // The advice given now works, and then a new request is taken.
        (await ngo.PostAsJsonAsync($"/api/matches/{requestId}/end", new { outcome = "other" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, (await ngo.PostAsJsonAsync("/api/mentor-requests", new { learnerId, goals = new[] { "jobSearch" } })).StatusCode);
    }

    /// <summary>Issue 29, item 10: a French reader saw the provider's English words ("French as a foreign language",
    /// "refugees") in a French listing. Known words and codes are now also given in the reader's language.</summary>
    [Fact]
    public async Task Catalogue_labels_are_given_in_the_readers_language_where_known_and_as_written_otherwise()
    {
        var provider = NewOrg("provider");
        var details = JsonSerializer.SerializeToNode(Details(topic: "Anything at all"), new JsonSerializerOptions(JsonSerializerDefaults.Web))!.AsObject();
        details["topics"] = JsonNode.Parse("""[{"label":"Cours de FLE","formacode":"15235"},{"label":"Digital skills"},{"label":"Soudure TIG"}]""");
        details["targetGroups"] = JsonNode.Parse("""["refugees","Job seekers","artisans"]""");
        var offerId = await OpenOfferAsync(App, provider, details);
        async Task<JsonElement> Read(string language)
        {
            var get = new HttpRequestMessage(HttpMethod.Get, $"/api/offers/{offerId}");
            get.Headers.AcceptLanguage.ParseAdd(language);
            return await Json(await App.ClientFor(Role.Ngo, NewOrg("ngo")).SendAsync(get));
        }
        string[] Labels(JsonElement offer, string name) => offer.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
        var fr = await Read("fr");
        Assert.Equal(["Français langue étrangère", "Compétences numériques", "Soudure TIG"], Labels(fr, "topicLabels"));
        Assert.Equal(["réfugiés", "demandeurs d'emploi", "artisans"], Labels(fr, "targetGroupLabels"));
        Assert.Equal("Cours de FLE", fr.GetProperty("topics")[0].GetProperty("label").GetString()); // the provider's words stay as written
        var en = await Read("en");
        Assert.Equal(["French as a foreign language", "Digital skills", "Soudure TIG"], Labels(en, "topicLabels"));
        Assert.Equal(["refugees", "job seekers", "artisans"], Labels(en, "targetGroupLabels"));
    }

    /// <summary>
    /// Issue 29, items 14-15: the document states what the API enforces and what it sends. No date-time without a type,
    /// no RFC 3339 "time" for a local time of day (sent as "18:00:00"), paging and statuses typed, and the bounds the
    /// document gives are the ones the API holds: the last value inside is taken, the first outside refused.
    /// </summary>
    [Fact]
    public async Task The_document_states_the_types_bounds_and_values_the_api_enforces()
    {
        var doc = JsonNode.Parse(await App.CreateClient().GetStringAsync("/api/openapi/v1.json"))!;
        var untyped = new List<string>();
        void Walk(JsonNode? node, string at)
        {
            if (node is JsonObject o)
            {
                if (o["format"] is JsonValue f && f.GetValueKind() == JsonValueKind.String && o["type"] is null) untyped.Add(at);
                if (o["format"]?.ToString() == "time") untyped.Add(at + " (format time)");
                foreach (var (k, v) in o) Walk(v, $"{at}/{k}");
            }
            else if (node is JsonArray a) for (var i = 0; i < a.Count; i++) Walk(a[i], $"{at}/{i}");
        }
        Walk(doc, "");
        Assert.Empty(untyped);
        Assert.Equal(OpenApiTimePattern, doc["components"]!["schemas"]!["WeeklySlot"]!["properties"]!["start"]!["pattern"]!.ToString());

        JsonNode Parameter(string path, string method, string name) =>
            doc["paths"]![path]![method]!["parameters"]!.AsArray().Single(p => p!["name"]!.ToString() == name)!["schema"]!;
        var pageSize = Parameter("/api/learners", "get", "pageSize");
        Assert.Equal(("integer", 1, 100), (pageSize["type"]!.ToString(), (int)pageSize["minimum"]!, (int)pageSize["maximum"]!));
        Assert.Equal(Enum.GetNames<Matching.Offers.ClaimStatus>().Select(JsonNamingPolicy.CamelCase.ConvertName),
            Parameter("/api/claims", "get", "status")["enum"]!.AsArray().Select(v => v!.ToString()));
        Assert.Equal("^[A-Za-z0-9][A-Za-z0-9._-]*$", Parameter("/api/learners", "get", "X-Organisation")["pattern"]!.ToString());

        // The bounds said are the bounds held.
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        var name = doc["paths"]!["/api/learners"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["displayName"]!;
        var max = (int)name["maxLength"]!;
        Assert.Equal((1, 60), ((int)name["minLength"]!, max));
        (await ngo.PostAsJsonAsync("/api/learners", new { displayName = new string('a', max) })).EnsureSuccessStatusCode();
        await ErrorsOf(await ngo.PostAsJsonAsync("/api/learners", new { displayName = new string('a', max + 1) }), "displayName");
        var seats = doc["paths"]!["/api/offers/{offerId}/claims"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["seats"]!;
        Assert.Equal((1, 1000), ((int)seats["minimum"]!, (int)seats["maximum"]!));
        var offerId = await OpenOfferAsync(App, NewOrg("provider"), Details(seats: 5));
        Assert.NotEqual(HttpStatusCode.BadRequest, (await ClaimAsync(ngo, offerId, "at-max", new { seats = 1000 })).StatusCode);
        await ErrorsOf(await ClaimAsync(ngo, offerId, "over-max", new { seats = 1001 }), "seats");
        var cohort = doc["paths"]!["/api/cohorts"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["requestIds"]!;
        Assert.Equal((1, 500), ((int)cohort["minItems"]!, (int)cohort["maxItems"]!));
        await ErrorsOf(await ngo.PostAsJsonAsync("/api/cohorts", new { requestIds = Enumerable.Range(0, 501).Select(_ => Guid.NewGuid().ToString("N")).ToArray() }), "requestIds");
        await ErrorsOf(await ngo.PostAsJsonAsync("/api/cohorts", new { requestIds = Array.Empty<string>() }), "requestIds");
    }

    private const string OpenApiTimePattern = Matching.Platform.OpenApiSetup.TimeOfDayPattern;
}
