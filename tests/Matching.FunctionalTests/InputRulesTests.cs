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
}
