using System.Net;
using System.Text;
using Matching.FunctionalTests.Infrastructure;
using Matching.Hosting;
using System.Net.Http.Json;
using Matching.Security;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;
using static Matching.FunctionalTests.Infrastructure.MentoringScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Every function of the API but health and the API reference refuses a caller without a token, and every role-restricted
/// one a caller in any other role, whatever it is sent and before reading it: a new function cannot ship outside this.
/// Pages are guarded by their session instead: every learner page refuses a browser without one, with a page.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class FunctionAccessTests(StorageFixture fixture)
{
    private MatchingApp App => fixture.App;

    public static TheoryData<string> ProtectedFunctions()
    {
        var data = new TheoryData<string>();
        foreach (var f in FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous && f.Page is null)) data.Add(f.Name);
        return data;
    }

    [Fact]
    public void Only_health_and_the_api_reference_are_anonymous()
    {
        var anonymous = FunctionCatalog.App.HttpFunctions.Where(f => f.IsAnonymous && f.Page is null).Select(f => f.Name).Order();
        // The unsubscribe link of a mail is anonymous by design: its signed token names the one person it can turn mail off for.
        Assert.Equal(["GetApiReference", "GetApiReferenceScript", "GetHealth", "GetOpenApiDocument", "ShowUnsubscribe", "Unsubscribe"], anonymous);
        // Any signed-in person, member of an organisation or not yet: accepting an invitation, listing one's memberships,
        // reading the volunteers' charter and signing up in a network open for it, no more.
        Assert.Equal(["AcceptInvitation", "GetCharter", "ListMyMemberships", "SignUpAsVolunteer"], FunctionCatalog.App.HttpFunctions.Where(f => f.SignedInOnly).Select(f => f.Name).Order());
        Assert.All(FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous && !f.SignedInOnly && f.Page is null), f => Assert.NotEmpty(f.Roles));
        // Pages anyone may open: the language switch, signing in (to the provider and back), and a learner's link (which
        // shows only what the link itself opens).
        Assert.Equal(["OpenLearnerLink", "SignIn", "SignInCallback", "SwitchLanguage"],
            FunctionCatalog.App.HttpFunctions.Where(f => f.Page == PageAccess.Anyone).Select(f => f.Name).Order());
        // A page is not the API: not under /api, and no page is anonymous in the API's sense.
        Assert.All(FunctionCatalog.App.HttpFunctions, f => Assert.Equal(f.Page is null, f.Route.StartsWith("api/", StringComparison.Ordinal)));
        Assert.All(FunctionCatalog.App.HttpFunctions.Where(f => f.Page is not null), f => Assert.False(f.IsAnonymous, f.Name));
    }

    public static TheoryData<string> SignedInPages()
    {
        var data = new TheoryData<string>();
        foreach (var f in FunctionCatalog.App.HttpFunctions.Where(f => f.Page is PageAccess.SignedIn or PageAccess.Member)) data.Add(f.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(SignedInPages))]
    public async Task Without_a_session_every_signed_in_page_sends_to_sign_in_or_refuses_a_form(string name)
    {
        var function = FunctionCatalog.App.FindHttp(name)!;
        var path = "/" + System.Text.RegularExpressions.Regex.Replace(function.Route, "{[^}]+}", Guid.NewGuid().ToString("N"));
        foreach (var method in function.Methods)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST") request.Content = new FormUrlEncodedContent([new("reason", "other")]);
            request.Headers.Authorization = new("Bearer", fixture.App.Token(Matching.Security.Role.Mentor, "some-org")); // a token is no session
            var response = await fixture.App.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).SendAsync(request);
            if (method is "GET")
            {
                Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
                Assert.Equal($"/signin?back={Uri.EscapeDataString(path)}", response.Headers.Location?.OriginalString);
            }
            else
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Contains("Connectez-vous", await response.Content.ReadAsStringAsync());
            }
        }
    }

    public static TheoryData<string> LearnerPages()
    {
        var data = new TheoryData<string>();
        foreach (var f in FunctionCatalog.App.HttpFunctions.Where(f => f.Page == PageAccess.Learner)) data.Add(f.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(LearnerPages))]
    public async Task Without_a_learner_session_every_learner_page_is_a_401_page(string name)
    {
        var function = FunctionCatalog.App.FindHttp(name)!;
        var path = "/" + System.Text.RegularExpressions.Regex.Replace(function.Route, "{[^}]+}", Guid.NewGuid().ToString("N"));
        foreach (var method in function.Methods)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST") request.Content = new FormUrlEncodedContent([new("attendance", "held")]);
            // A bearer token is no session: pages read the cookie only.
            request.Headers.Authorization = new("Bearer", fixture.App.Token(Matching.Security.Role.Learner, "some-org"));
            var response = await fixture.App.CreateClient().SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Votre lien ne marche pas", await response.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [MemberData(nameof(ProtectedFunctions))]
    public async Task Without_a_token_every_function_is_401(string name)
    {
        var function = FunctionCatalog.App.FindHttp(name)!;
        var path = "/" + System.Text.RegularExpressions.Regex.Replace(function.Route, "{[^}]+}", Guid.NewGuid().ToString("N"));
        foreach (var method in function.Methods)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            var response = await fixture.App.CreateClient().SendAsync(request);
            await HttpPlatformTests.AssertProblem(response, HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());

            // An expired token of a role the function serves is no better than none.
            var expired = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT") expired.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            expired.Headers.Authorization = new("Bearer", ExpiredToken(function.Roles.Count > 0 ? function.Roles.First() : Matching.Security.Role.Ngo));
            await HttpPlatformTests.AssertProblem(await fixture.App.CreateClient().SendAsync(expired), HttpStatusCode.Unauthorized, "urn:matching:problem:unauthenticated");
        }
    }

    private string ExpiredToken(Matching.Security.Role role)
    {
        var settings = (Matching.Security.AuthSettings)fixture.App.Services.GetService(typeof(Matching.Security.AuthSettings))!;
        var now = DateTime.UtcNow;
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = Matching.Security.AuthSetup.DevelopmentIssuer, Audience = settings.Audience,
            IssuedAt = now.AddHours(-3), NotBefore = now.AddHours(-3), Expires = now.AddHours(-1),
            Claims = new Dictionary<string, object> { ["sub"] = "someone", ["role"] = role.ToString().ToLowerInvariant(), ["org"] = "some-org" },
            SigningCredentials = new(settings.DevelopmentKey, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        });
    }

    public static TheoryData<string, string> FunctionsAndRolesRefused()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous && !f.SignedInOnly && f.Page is null))
            foreach (var role in Enum.GetValues<Matching.Security.Role>().Except(f.Roles))
                data.Add(f.Name, role.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(FunctionsAndRolesRefused))]
    public async Task Every_function_is_403_for_a_role_it_does_not_serve(string name, string role)
    {
        var function = FunctionCatalog.App.FindHttp(name)!;
        var path = "/" + System.Text.RegularExpressions.Regex.Replace(function.Route, "{[^}]+}", Guid.NewGuid().ToString("N"));
        var client = fixture.App.ClientFor(Enum.Parse<Matching.Security.Role>(role), "some-org");
        foreach (var method in function.Methods)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            var response = await client.SendAsync(request);
            var problem = await HttpPlatformTests.AssertProblem(response, HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
            Assert.False(problem.TryGetProperty("errors", out _)); // refused before the body was read
        }
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
}
