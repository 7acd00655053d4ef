using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;

namespace Matching.FunctionalTests;

[Collection(StorageCollection.Name)]
public sealed class HttpPlatformTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;
    private static string NewOrg() => "org-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Readiness_answers_on_root()
    {
        var response = await App.CreateClient().GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Health_reports_storage_reachable()
    {
        var response = await App.CreateClient().GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal("reachable", body.GetProperty("storage").GetProperty("tables").GetString());
        Assert.Equal("reachable", body.GetProperty("storage").GetProperty("queues").GetString());
        Assert.Equal("reachable", body.GetProperty("storage").GetProperty("blobs").GetString());
    }

    [Fact]
    public async Task No_token_is_401_problem()
    {
        var response = await App.CreateClient().PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 });
        await AssertProblem(response, HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
    }

    [Fact]
    public async Task Token_signed_with_another_key_is_401()
    {
        var client = App.CreateClient();
        var forged = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = AuthSetup.DevelopmentIssuer, Audience = AuthSetup.DefaultAudience,
            Claims = new Dictionary<string, object> { ["sub"] = "x", ["role"] = "admin", ["org"] = "konexio" },
            SigningCredentials = new(new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Encoding.UTF8.GetBytes(new string('k', 48))), "HS256"),
        });
        client.DefaultRequestHeaders.Authorization = new("Bearer", forged);
        var response = await client.GetAsync($"/api/diagnostics/pings/{Guid.NewGuid():N}");
        await AssertProblem(response, HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
    }

    [Theory]
    [InlineData(Role.Learner)]
    [InlineData(Role.Mentor)]
    public async Task Wrong_role_is_403_problem(Role role)
    {
        var response = await App.ClientFor(role, NewOrg()).PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 });
        await AssertProblem(response, HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
    }

    [Fact]
    public async Task Another_organisations_resource_is_404_and_the_owner_sees_it()
    {
        var owner = App.ClientFor(Role.Ngo, NewOrg());
        var created = await owner.PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var location = created.Headers.Location!.ToString();

        var stranger = App.ClientFor(Role.Ngo, NewOrg());
        await AssertProblem(await stranger.GetAsync(location), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync(location)).StatusCode);
    }

    [Theory]
    [InlineData("{\"failFirstAttempts\":1", "urn:matching:problem:invalid-json", null)]
    [InlineData("not json", "urn:matching:problem:invalid-json", null)]
    [InlineData("{\"failFirstAttempts\":\"two\"}", "urn:matching:problem:validation", "failFirstAttempts")]
    [InlineData("{\"failFirstAttempts\":11}", "urn:matching:problem:validation", "failFirstAttempts")]
    [InlineData("{\"failFirstAttempts\":-1}", "urn:matching:problem:validation", "failFirstAttempts")]
    [InlineData("{\"failFirstAtempts\":1}", "urn:matching:problem:validation", "failFirstAtempts")]
    [InlineData("", "urn:matching:problem:bad-request", null)]
    public async Task Bad_bodies_are_400_problems_naming_the_field_and_write_nothing(string body, string type, string? field)
    {
        var org = NewOrg();
        var response = await App.ClientFor(Role.Ngo, org).PostAsync("/api/diagnostics/pings",
            new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, type);
        if (field is not null) Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        var rows = App.Table("diagnosticpings").QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == org);
        await foreach (var _ in rows) Assert.Fail("A rejected request left a row behind.");
    }

    [Fact]
    public async Task Oversized_body_is_413_problem()
    {
        var big = "{\"failFirstAttempts\":0,\"pad\":\"" + new string('x', 300 * 1024) + "\"}";
        var response = await App.ClientFor(Role.Ngo, NewOrg()).PostAsync("/api/diagnostics/pings",
            new StringContent(big, Encoding.UTF8, "application/json"));
        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "urn:matching:problem:payload-too-large");
    }

    [Fact]
    public async Task Wrong_content_type_is_415_problem()
    {
        var response = await App.ClientFor(Role.Ngo, NewOrg()).PostAsync("/api/diagnostics/pings",
            new StringContent("failFirstAttempts=1", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "urn:matching:problem:unsupported-media-type");
    }

    [Fact]
    public async Task Unknown_route_is_404_problem()
    {
        await AssertProblem(await App.CreateClient().GetAsync("/api/nothing-here"), HttpStatusCode.NotFound, "urn:matching:problem:not-found");
    }

    [Fact]
    public async Task Correlation_id_is_echoed_and_carried_by_problems()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/nothing-here");
        request.Headers.Add("X-Correlation-Id", "test-corr-123");
        var response = await App.CreateClient().SendAsync(request);
        Assert.Equal("test-corr-123", response.Headers.GetValues("X-Correlation-Id").Single());
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("test-corr-123", problem.GetProperty("correlationId").GetString());
    }

    [Fact]
    public async Task OpenApi_document_names_summarises_and_secures_every_operation()
    {
        var doc = await App.CreateClient().GetFromJsonAsync<JsonElement>("/api/openapi/v1.json");
        Assert.True(doc.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("bearer", out _));
        var operations = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Op: o.Value))).ToList();
        Assert.Contains(operations, o => o.Path == "/api/diagnostics/pings" && o.Method == "post");
        // Bodies, route values and query parameters are described from the functions' declarations.
        var create = operations.Single(o => o.Path == "/api/offers" && o.Method == "post").Op;
        Assert.True(create.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var browse = operations.Single(o => o.Path == "/api/offers" && o.Method == "get").Op;
        Assert.Contains(browse.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "near" && p.GetProperty("in").GetString() == "query");
        var get = operations.Single(o => o.Path == "/api/offers/{offerId}" && o.Method == "get").Op;
        Assert.Contains(get.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "offerId" && p.GetProperty("in").GetString() == "path");
        Assert.True(get.GetProperty("responses").TryGetProperty("404", out _));
        foreach (var (path, method, op) in operations)
        {
            var where = $"{method} {path}";
            Assert.False(string.IsNullOrWhiteSpace(op.GetProperty("operationId").GetString()), where);
            Assert.False(string.IsNullOrWhiteSpace(op.GetProperty("summary").GetString()), where);
            Assert.True(op.GetProperty("responses").EnumerateObject().Any(), where);
            // Secured: a requirement naming a scheme. Health and a mail's unsubscribe link (its token is the proof) say they
            // are public with an empty requirement ([{}]).
            var secured = op.TryGetProperty("security", out var security) && security.EnumerateArray().Any(r => r.EnumerateObject().Any());
            Assert.Equal(path is not ("/api/health" or "/api/notifications/unsubscribe"), secured);
            if (secured)
            {
                Assert.True(op.GetProperty("responses").TryGetProperty("401", out _), where);
                Assert.True(op.GetProperty("responses").TryGetProperty("403", out _), where);
            }
        }
    }

    [Fact]
    public async Task Api_reference_page_is_served()
    {
        var response = await App.CreateClient().GetAsync("/api/docs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType!.ToString());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"url\":\"api/openapi/v1.json\"", html); // resolved against the origin by the page script
        // The page's scripts ship inside the app: nothing is fetched from a CDN.
        var script = await App.CreateClient().GetAsync("/api/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        var bytes = await script.Content.ReadAsByteArrayAsync();
        Assert.NotEqual(0x1f, bytes[0]); // JavaScript, not gzip bytes said to be JavaScript
        Assert.Contains("createApiReference", Encoding.UTF8.GetString(bytes));
    }

    /// <summary>The reference as a person sees it: opened in Chromium, it lists the operations, and no request leaves the machine
    /// (no fonts, no hosted service). It was a blank page: the bundle was sent as gzip bytes without saying so.</summary>
    [Fact]
    public async Task The_api_reference_renders_in_a_real_browser_with_nothing_fetched_from_outside()
    {
        await using var app = new MatchingApp(fixture.Azurite.ConnectionString, new Dictionary<string, string?> { ["Matching:LocalListeners"] = "false" });
        var address = app.StartOnKestrel();
        var page = await Chromium.RenderAsync(new Uri(address, "/api/docs"), TimeSpan.FromSeconds(20));

        Assert.DoesNotContain(page.Console, line => line.Contains("Uncaught", StringComparison.Ordinal));
        // The first group opens with its operations; the others are listed by name.
        foreach (var operation in new[] { "Accepts an invitation", "Withdraws an invitation not accepted yet", "HTTP Method" }) Assert.Contains(operation, page.Dom);
        foreach (var group in new[] { "Mentoring", "Offers", "Claims", "Learners", "Reports" }) Assert.Contains($"Open Group - {group}", page.Dom);
        foreach (var hosted in new[] { "Deploy API", "Ask AI", "Generate SDK" }) Assert.DoesNotContain(hosted, page.Dom);
        var outside = page.Requested.Where(u => u.Host is not ("127.0.0.1" or "localhost" or "[::1]")).Select(u => u.ToString()).ToList();
        Assert.Empty(outside);
        Assert.Contains(page.Requested, u => u.AbsolutePath == "/api/openapi/v1.json");
    }

    internal static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }
}
