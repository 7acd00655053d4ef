using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>People read the API in French unless they ask otherwise: problems, fields' messages, explanations, CSV headers.</summary>
[Collection(StorageCollection.Name)]
public sealed class LocalisationTests(StorageFixture fixture)
{
    private HttpClient Client(Role role, string org, string? language)
    {
        var client = fixture.App.ClientFor(role, org);
        client.DefaultRequestHeaders.AcceptLanguage.Clear();
        if (language is not null) client.DefaultRequestHeaders.AcceptLanguage.Add(new StringWithQualityHeaderValue(language));
        return client;
    }

    [Fact]
    public async Task Without_Accept_Language_a_problem_and_its_fields_are_in_French_and_in_English_when_asked()
    {
        var org = NewOrg("ngo");
        foreach (var (language, title, message, notFound) in new[]
                 {
                     ((string?)null, "La requête n'est pas valide", "Un prénom ou un pseudonyme de 1 à 60 caractères.", "La personne accompagnée est introuvable."),
                     ("en-GB", "The request is not valid", "A first name or pseudonym of 1 to 60 characters.", "The learner was not found."),
                 })
        {
            var client = Client(Role.Ngo, org, language);
            var response = await client.PostAsJsonAsync("/api/learners", new { displayName = "" });
            Assert.Equal(language is null ? "fr" : "en", response.Content.Headers.ContentLanguage.Single());
            var problem = await HttpPlatformTests.AssertProblem(response, HttpStatusCode.BadRequest, "urn:matching:problem:validation");
            Assert.Equal(title, problem.GetProperty("title").GetString());
            Assert.Equal(message, problem.GetProperty("errors").GetProperty("displayName")[0].GetString());
            var missing = await HttpPlatformTests.AssertProblem(await client.GetAsync($"/api/learners/{Guid.NewGuid():N}"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
            Assert.Equal(notFound, missing.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task The_gates_and_the_frameworks_problems_are_in_French_too()
    {
        // A signed-in person who belongs to no organisation yet, a role the function does not serve, a route that does not exist.
        var settings = fixture.App.Services.GetRequiredService<Matching.Security.AuthSettings>();
        var stranger = fixture.App.CreateClient();
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            DevelopmentTokens.Mint(settings, $"person-{Guid.NewGuid():N}", null, null, TimeSpan.FromMinutes(5)));
        var noMembership = await HttpPlatformTests.AssertProblem(await stranger.GetAsync("/api/learners"), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
        Assert.Equal("Vous n'êtes encore membre d'aucune organisation : acceptez une invitation (POST /api/invitations/accept) ou inscrivez-vous comme bénévole.",
            noMembership.GetProperty("detail").GetString());

        var mentor = Client(Role.Mentor, NewOrg("volunteers"), null);
        var wrongRole = await HttpPlatformTests.AssertProblem(await mentor.GetAsync("/api/learners"), HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
        Assert.Equal("Le rôle mentor ne peut pas appeler ce point d'accès.", wrongRole.GetProperty("detail").GetString());

        var ngo = Client(Role.Ngo, NewOrg("ngo"), null);
        var unknown = await ngo.GetAsync("/api/no-such-route");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("Introuvable", (await unknown.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("title").GetString());
        Assert.Equal("fr", unknown.Content.Headers.ContentLanguage.Single());
    }

    [Fact]
    public async Task An_LHEO_documents_problems_are_listed_in_the_readers_language()
    {
        var halfBad = Matching.UnitTests.Lheo.LheoSamples.Small().Replace("<etat-recrutement>3<", "<etat-recrutement>7<");
        foreach (var (language, expected) in new[] { ((string?)null, "/etat-recrutement : « 7 » n'est ni 1, ni 2, ni 3."), ("en", "/etat-recrutement: '7' is not 1, 2 or 3.") })
        {
            var provider = Client(Role.Provider, NewOrg("provider"), language);
            var response = await provider.PostAsync("/api/lheo-imports", new StringContent(halfBad, System.Text.Encoding.UTF8, "application/xml"));
            var problem = await HttpPlatformTests.AssertProblem(response, HttpStatusCode.BadRequest, "urn:matching:problem:invalid-lheo");
            Assert.Contains(problem.GetProperty("problems").EnumerateArray(), p => p.GetString()!.EndsWith(expected, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_proposal_is_explained_in_the_readers_language_and_a_report_has_French_headers()
    {
        await MentorAsync(fixture.App, "Farid", "lo", ["cvReview"]);
        var org = NewOrg("ngo");
        var learnerId = await LearnerAsync(fixture.App.ClientFor(Role.Ngo, org), LearnerProfile("lo"));
        var request = await ProposedAsync(fixture.App.ClientFor(Role.Ngo, org), learnerId);
        var id = request.GetProperty("id").GetString();
        var french = await Json(await Client(Role.Ngo, org, null).GetAsync($"/api/mentor-requests/{id}"));
        var english = await Json(await Client(Role.Ngo, org, "en").GetAsync($"/api/mentor-requests/{id}"));
        Assert.StartsWith("Proposé", french.GetProperty("proposals")[0].GetProperty("explanation").GetString());
        Assert.StartsWith("Proposed", english.GetProperty("proposals")[0].GetProperty("explanation").GetString());
        Assert.NotEmpty(french.GetProperty("proposals")[0].GetProperty("because").EnumerateArray());

        // As French spreadsheet software opens it: a byte order mark, ';' between cells, French labels and a decimal comma.
        var bytes = await Client(Role.Ngo, org, "fr-FR").GetByteArrayAsync("/api/reports/impact?format=csv");
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var csv = System.Text.Encoding.UTF8.GetString(bytes[3..]);
        Assert.StartsWith("\"Indicateur\";\"Valeur\"\r\n", csv);
        Assert.Contains("\"Demandes\";\"1\"", csv);
        Assert.Contains("\"Délai médian avant la mise en relation (heures)\";", csv);
        Assert.DoesNotContain("timeToMatchHoursP50", csv);
    }
}
