using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

/// <summary>What the HTTP contract refuses (numbers as strings, duplicate keys, offsets missing, enums as numbers) and what the document promises.</summary>
[Collection(StorageCollection.Name)]
public sealed class RequestContractTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    private static object Mentor(object travelRadiusKm) => new
    {
        displayName = "Ines", contactEmail = "ines@example.org", languages = new[] { new { language = "fr", level = "native" } },
        expertise = new[] { "cvReview" }, modes = new[] { "video" }, capacity = 1, travelRadiusKm,
        availability = new { timeZone = "Europe/Paris", slots = new[] { new { day = "monday", start = "18:00:00", end = "20:00:00" } } },
    };

    private static async Task<JsonElement> Errors(HttpResponseMessage response) =>
        (await HttpPlatformTests.AssertProblem(response, HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors");

    [Theory]
    [InlineData("NaN"), InlineData("Infinity"), InlineData("-Infinity"), InlineData("12")]
    public async Task Numbers_given_as_strings_are_a_400_naming_the_field_not_a_500(string value)
    {
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        Assert.True((await Errors(await mentor.PutAsJsonAsync("/api/mentors/me", Mentor(value)))).TryGetProperty("travelRadiusKm", out _));
    }

    [Fact]
    public async Task A_negative_travel_radius_is_refused()
    {
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        Assert.True((await Errors(await mentor.PutAsJsonAsync("/api/mentors/me", Mentor(-5)))).TryGetProperty("travelRadiusKm", out _));
    }

    [Fact]
    public async Task Duplicate_keys_and_wrong_case_names_are_refused_and_nothing_is_booked()
    {
        var offer = await OpenOfferAsync(App, NewOrg("provider"), Details(seats: 100));
        var ngo = App.ClientFor(Role.Ngo, NewOrg("ngo"));
        foreach (var (body, field) in new[] { ("""{"seats":1,"seats":90}""", "seats"), ("""{"Seats":1}""", "Seats") })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/offers/{offer}/claims") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", $"k-{Guid.NewGuid():N}");
            var errors = await Errors(await ngo.SendAsync(request));
            Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
        }
        Assert.Equal(100, (await Json(await ngo.GetAsync($"/api/offers/{offer}"))).GetProperty("seatsRemaining").GetInt32());
    }

    [Fact]
    public async Task The_document_does_not_reflect_the_host_header_and_answers_carry_security_headers()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/openapi/v1.json");
        request.Headers.Host = "evil.example";
        var doc = await Json(await App.CreateClient().SendAsync(request));
        Assert.Equal("/", doc.GetProperty("servers")[0].GetProperty("url").GetString());

        var anonymous = await App.CreateClient().GetAsync("/api/health");
        Assert.Equal("nosniff", anonymous.Headers.GetValues("X-Content-Type-Options").Single());
        var authenticated = await App.ClientFor(Role.Ngo, NewOrg("ngo")).GetAsync("/api/offers");
        Assert.Equal("nosniff", authenticated.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(authenticated.Headers.CacheControl?.NoStore);
        var refused = await App.CreateClient().GetAsync("/api/offers");
        Assert.True(refused.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task A_date_time_without_an_offset_is_refused_naming_the_field()
    {
        var provider = App.ClientFor(Role.Provider, NewOrg("provider"));
        var details = JsonSerializer.SerializeToNode(Details())!.AsObject();
        details["claimOpensAt"] = "2026-12-01T09:00:00";
        var errors = await Errors(await provider.PostAsync("/api/offers", new StringContent(details.ToJsonString(), Encoding.UTF8, "application/json")));
        Assert.True(errors.TryGetProperty("claimOpensAt", out _), errors.ToString());
    }

    [Fact]
    public async Task An_offer_whose_claim_window_is_over_cannot_be_created_or_opened()
    {
        var provider = App.ClientFor(Role.Provider, NewOrg("provider"));
        var past = await Errors(await provider.PostAsJsonAsync("/api/offers", Details(opens: DateTimeOffset.UtcNow.AddDays(-20), closes: DateTimeOffset.UtcNow.AddDays(-1))));
        Assert.True(past.TryGetProperty("claimClosesAt", out _), past.ToString());
        // A window that ends between the draft and its opening.
        var created = await provider.PostAsJsonAsync("/api/offers", Details(opens: DateTimeOffset.UtcNow.AddDays(-20), closes: DateTimeOffset.UtcNow.AddSeconds(2)));
        var id = (await Json(created)).GetProperty("id").GetString();
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var refused = await HttpPlatformTests.AssertProblem(await provider.PostAsync($"/api/offers/{id}/open", null), HttpStatusCode.Conflict, "urn:matching:problem:conflict");
        Assert.Contains("window", refused.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_development_token_minted_to_live_longer_than_a_day_is_refused()
    {
        var settings = App.Services.GetService(typeof(AuthSettings)) as AuthSettings;
        var token = DevelopmentTokens.Mint(settings!, "long-lived", Role.Ngo, NewOrg("ngo"), TimeSpan.FromDays(3650));
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await HttpPlatformTests.AssertProblem(await client.GetAsync("/api/offers"), HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
        var day = DevelopmentTokens.Mint(settings!, "short-lived", Role.Ngo, NewOrg("ngo"), TimeSpan.FromHours(8));
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", day);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/offers")).StatusCode);
    }
    [Fact]
    public async Task The_document_lists_every_status_a_function_can_answer_with_a_problem_schema_and_the_idempotency_header()
    {
        var doc = await Json(await App.CreateClient().GetAsync("/api/openapi/v1.json"));
        var operations = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Name: $"{m.Name.ToUpperInvariant()} {p.Name}", Operation: m.Value))).ToList();
        Assert.NotEmpty(operations);
        foreach (var (name, operation) in operations)
        {
            var responses = operation.GetProperty("responses");
            void HasProblem(string status) =>
                Assert.True(responses.TryGetProperty(status, out var r) && r.TryGetProperty("content", out var c) && c.TryGetProperty("application/problem+json", out _),
                    $"{name} does not declare {status} as a problem");
            var secured = operation.TryGetProperty("security", out var security) && security.EnumerateArray().Any(r => r.EnumerateObject().Any());
            if (secured) { HasProblem("401"); HasProblem("403"); HasProblem("503"); }
            if (operation.TryGetProperty("requestBody", out _)) { HasProblem("413"); HasProblem("415"); }
        }
        var claim = doc.GetProperty("paths").GetProperty("/api/offers/{offerId}/claims").GetProperty("post");
        var header = claim.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.Equal(("header", true), (header.GetProperty("in").GetString(), header.GetProperty("required").GetBoolean()));
        // A problem's extension members (correlationId on every one) are allowed by its schema.
        var problem = doc.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails");
        Assert.False(problem.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.False, problem.ToString());
        Assert.True(problem.GetProperty("properties").TryGetProperty("correlationId", out _));
        // Numbers are typed as numbers only, now that strings are refused.
        Assert.DoesNotMatch("\"type\":\\[\"(integer|number)\",\"string\"\\]", doc.GetRawText());
        Assert.DoesNotMatch("\"type\":\\[\"string\",\"(integer|number)\"\\]", doc.GetRawText());
    }

    /// <summary>
    /// Every answer of the suite is checked against its schema (<see cref="ContractCheck"/>); this shows the check
    /// refuses what the document does not allow, on the document's own schemas, and found what it was built to find:
    /// three types once shared the schema name OfferView (a request's pending offer was described as a training offer),
    /// and a nullable enum's null matched both branches of its property's oneOf.
    /// </summary>
    [Fact]
    public async Task Answers_are_checked_against_the_document_schemas_which_refuse_what_they_do_not_allow()
    {
        var doc = System.Text.Json.Nodes.JsonNode.Parse(await App.CreateClient().GetStringAsync("/api/openapi/v1.json"))!;
        var schemas = doc["components"]!["schemas"]!;
        List<string> Check(string schema, string json)
        {
            using var value = JsonDocument.Parse(json);
            return SchemaCheck.Errors(doc, System.Text.Json.Nodes.JsonNode.Parse($$"""{"$ref":"#/components/schemas/{{schema}}"}""")!, value.RootElement);
        }
        const string place = """{"latitude":48.85,"longitude":2.35,"inseeCode":"75056"}""";
        Assert.Empty(Check("Place", place));
        Assert.NotEmpty(Check("Place", """{"latitude":"48.85","longitude":2.35}"""));                // a number as a string
        Assert.NotEmpty(Check("Place", """{"longitude":2.35}"""));                                  // a required member missing
        Assert.NotEmpty(Check("Place", """{"latitude":48.85,"longitude":2.35,"extra":1}"""));       // a member the schema does not have
        Assert.NotEmpty(Check("RequestStatus", "\"lost\""));                                        // not one of the enum
        Assert.NotEmpty(Check("TrackRecord", """{"proposals":1.5,"accepted":0,"sessionsHeld":0,"averageRating":null}""")); // an integer with a fraction
        Assert.DoesNotContain(schemas["Gender"]!["enum"]!.AsArray(), v => v is null);
        Assert.NotEmpty(Check("MentorView", """{"gender":"robot"}"""));
        Assert.DoesNotContain(Check("MentorView", """{"gender":null}"""), e => e.StartsWith("$.gender", StringComparison.Ordinal));
        Assert.Contains("mentorId", schemas["RequestOfferView"]!["properties"]!.AsObject().Select(p => p.Key));
        // Formats are asserted, and each error names the rule broken (issue 29: "12:00:00" passed as an RFC 3339 time).
        Assert.Contains(Check("ClaimView", """{"createdAt":"2026-12-07T10:00:00"}"""), e => e.StartsWith("$/createdAt: breaks 'format'", StringComparison.Ordinal));
        Assert.Contains(Check("Place", """{"latitude":"48.85","longitude":2.35}"""), e => e.StartsWith("$/latitude: breaks 'type'", StringComparison.Ordinal));
        Assert.NotEmpty(SchemaCheck.Errors(doc, System.Text.Json.Nodes.JsonNode.Parse("""{"type":"string","format":"time"}""")!, JsonDocument.Parse("\"12:00:00\"").RootElement));
    }

    /// <summary>
    /// Over a real socket and Kestrel (what both hosts run): a claim with a non-ASCII Idempotency-Key is a 400 problem
    /// naming the header (it was the web server's empty 400), and a path with an encoded NUL is still the web server's
    /// own empty 400, which no app code can reach (documented in docs/problems.md).
    /// </summary>
    [Fact]
    public async Task Over_kestrel_a_non_ascii_idempotency_key_is_a_problem_and_a_nul_path_is_the_servers_400()
    {
        await using var app = new MatchingApp(fixture.Azurite.ConnectionString, new Dictionary<string, string?> { ["Matching:LocalListeners"] = "false" });
        var address = app.StartOnKestrel();
        var token = app.Token(Role.Ngo, NewOrg("ngo"));
        async Task<string> Raw(string head, string body = "")
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port);
            await using var stream = tcp.GetStream();
            var bytes = Encoding.UTF8.GetBytes(head.Replace("\n", "\r\n") + $"Host: localhost\r\nAuthorization: Bearer {token}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n" + body);
            await stream.WriteAsync(bytes);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync();
        }
        var nonAscii = await Raw("POST /api/offers/0123456789abcdef0123456789abcdef/claims HTTP/1.1\nContent-Type: application/json\nIdempotency-Key: café\n", """{"seats":1}""");
        Assert.StartsWith("HTTP/1.1 400", nonAscii);
        Assert.Contains("application/problem+json", nonAscii);
        Assert.Contains("Idempotency-Key", nonAscii[nonAscii.IndexOf("\r\n\r\n", StringComparison.Ordinal)..]);
        var nul = await Raw("GET /api/offers/a%00b HTTP/1.1\n");
        Assert.StartsWith("HTTP/1.1 400", nul);
        Assert.Contains("Content-Length: 0", nul);
    }

    [Fact]
    public async Task An_enum_given_as_a_number_is_a_400_naming_the_field()
    {
        var mentor = App.ClientFor(Role.Mentor, "volunteers", subject: $"m-{Guid.NewGuid():N}");
        var body = MentoringScenario.Mentor("Rui", "rm", ["cvReview"]);
        var errors = (await HttpPlatformTests.AssertProblem(await mentor.PostAsJsonAsync($"/api/mentors/me/offers/{Guid.NewGuid():N}/decline", new { reason = 0 }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors");
        Assert.True(errors.TryGetProperty("reason", out _), errors.ToString());
        var modes = (await HttpPlatformTests.AssertProblem(await mentor.PutAsJsonAsync("/api/mentors/me", new Dictionary<string, object?>(ToFields(body)) { ["modes"] = new[] { 1 } }),
            HttpStatusCode.BadRequest, "urn:matching:problem:validation")).GetProperty("errors");
        Assert.True(modes.EnumerateObject().Any(e => e.Name.StartsWith("modes", StringComparison.Ordinal)), modes.ToString());
    }
    private static IEnumerable<KeyValuePair<string, object?>> ToFields(object anonymous) =>
        anonymous.GetType().GetProperties().Select(p => new KeyValuePair<string, object?>(p.Name, p.GetValue(anonymous)));
}
