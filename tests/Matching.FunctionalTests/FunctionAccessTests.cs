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
        Assert.Equal(["GetApiReference", "GetApiReferenceScript", "GetHealth", "GetOpenApiDocument"], anonymous);
        Assert.All(FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous), f => Assert.NotEmpty(f.Roles));
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
        }
    }

    public static TheoryData<string, string> FunctionsAndRolesRefused()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in FunctionCatalog.App.HttpFunctions.Where(f => !f.IsAnonymous))
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
