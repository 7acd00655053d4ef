using System.Net;
using System.Text;
using Matching.FunctionalTests.Infrastructure;
using Matching.Hosting;

namespace Matching.FunctionalTests;

/// <summary>
/// Every function but health and the API reference refuses a caller without a token, and every role-restricted one
/// a caller in any other role, whatever it is sent and before reading it: a new function cannot ship outside this.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class FunctionAccessTests(StorageFixture fixture)
{
    public static TheoryData<string> ProtectedFunctions()
    {
        var data = new TheoryData<string>();
        foreach (var f in FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous)) data.Add(f.Name);
        return data;
    }

    [Fact]
    public void Only_health_and_the_api_reference_are_anonymous()
    {
        var anonymous = FunctionCatalog.App.HttpFunctions.Where(f => f.IsAnonymous).Select(f => f.Name).Order();
        // The unsubscribe link of a mail is anonymous by design: its signed token names the one person it can turn mail off for.
        Assert.Equal(["GetApiReference", "GetApiReferenceScript", "GetHealth", "GetOpenApiDocument", "ShowUnsubscribe", "Unsubscribe"], anonymous);
        // Any signed-in person, member of an organisation or not yet: accepting an invitation, listing one's memberships,
        // reading the volunteers' charter and signing up in a network open for it, no more.
        Assert.Equal(["AcceptInvitation", "GetCharter", "ListMyMemberships", "SignUpAsVolunteer"], FunctionCatalog.App.HttpFunctions.Where(f => f.SignedInOnly).Select(f => f.Name).Order());
        Assert.All(FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous && !f.SignedInOnly), f => Assert.NotEmpty(f.Roles));
    }

    [Theory]
    [MemberData(nameof(ProtectedFunctions))]
    public async Task Without_a_token_every_function_is_401(string name)
    {
        var function = FunctionCatalog.App.FindHttp(name)!;
        var path = "/api/" + System.Text.RegularExpressions.Regex.Replace(function.Route, "{[^}]+}", Guid.NewGuid().ToString("N"));
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
        foreach (var f in FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous && !f.SignedInOnly))
            foreach (var role in Enum.GetValues<Matching.Security.Role>().Except(f.Roles))
                data.Add(f.Name, role.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(FunctionsAndRolesRefused))]
    public async Task Every_function_is_403_for_a_role_it_does_not_serve(string name, string role)
    {
        var function = FunctionCatalog.App.FindHttp(name)!;
        var path = "/api/" + System.Text.RegularExpressions.Regex.Replace(function.Route, "{[^}]+}", Guid.NewGuid().ToString("N"));
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
}
