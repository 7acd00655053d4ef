using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Matching.Diagnostics;
using Matching.FunctionalTests.Infrastructure;
using Matching.Security;
using Matching.WorkerStandIn;
using Matching.WorkerStandIn.Rpc;
using Microsoft.IdentityModel.Tokens;

namespace Matching.DeploymentTests;

/// <summary>
/// The packaged app run as the platform runs it: the isolated worker started by a stand-in for the Functions host
/// (its side of the gRPC worker protocol), over a real Azurite. HTTP functions go through the worker's ASP.NET Core
/// proxying, queue and timer functions get the trigger data the host sends.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class WorkerHostTests(PackageTests.Package package, WorkerHostTests.Worker worker) : IClassFixture<WorkerHostTests.Worker>
{
    private const string SigningKey = "stand-in-host-signing-key-for-the-deployment-tests";

    /// <summary>One Azurite and one worker for the class, started on first use from the shared package.</summary>
    public sealed class Worker : IAsyncLifetime
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private StandInHost? _host;
        private string? _appDirectory;

        public Azurite Azurite { get; private set; } = null!;

        public async Task<StandInHost> StartAsync(PackageTests.Package package)
        {
            await _gate.WaitAsync();
            try
            {
                if (_host is not null) return _host;
                _appDirectory = package.Extract();
                _host = await StandInHost.StartAsync(_appDirectory, new Dictionary<string, string>
                {
                    ["AzureWebJobsStorage"] = Azurite.ConnectionString,
                    ["Auth__DevelopmentSigningKey"] = SigningKey,
                });
                return _host;
            }
            finally { _gate.Release(); }
        }

        public async Task InitializeAsync() => Azurite = await Azurite.StartAsync();

        public async Task DisposeAsync()
        {
            if (_host is not null) await _host.DisposeAsync();
            await Azurite.DisposeAsync();
            if (_appDirectory is not null) Directory.Delete(_appDirectory, recursive: true);
        }
    }

    private static string Token(Role role, string organisation) =>
        DevelopmentTokens.Mint(new AuthSettings(AuthSetup.DefaultAudience, null, new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey))),
            $"{role}-{Guid.NewGuid():N}", role, organisation, TimeSpan.FromMinutes(10));

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token = null, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = body is string raw ? new StringContent(raw, Encoding.UTF8, "application/json") : JsonContent.Create(body);
        return request;
    }

    private static void Succeeded(InvocationResponse? invocation, StandInHost host)
    {
        Assert.NotNull(invocation);
        Assert.True(invocation.Result.Status == StatusResult.Types.Status.Success, $"{invocation.Result.Exception?.Message}\n{host.Diagnostics}");
    }

    [Fact]
    public async Task The_worker_indexes_and_loads_exactly_the_functions_the_local_host_serves()
    {
        var host = await worker.StartAsync(package);
        using var app = new AppDeclarations();
        var catalog = app.Catalog;
        var local = catalog.HttpFunctions.Select(f => f.Name).Concat(catalog.QueueFunctions.Select(f => f.Name))
            .Concat(catalog.TimerFunctions.Select(f => f.Name)).Order().ToList();
        Assert.Equal(local, host.Functions.Keys.Order().ToList());
        Assert.True(host.WorkerCapabilities.ContainsKey("HttpUri"), "ASP.NET Core integration reports the worker's own HTTP address");
    }

    [Fact]
    public async Task Http_functions_answer_through_the_proxying_path_with_authentication_and_roles_enforced()
    {
        var host = await worker.StartAsync(package);

        var (health, healthInvocation) = await host.SendHttpAsync(Request(HttpMethod.Get, "/api/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Succeeded(healthInvocation, host);

        var (anonymous, _) = await host.SendHttpAsync(Request(HttpMethod.Post, "/api/diagnostics/pings", body: new { }));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(anonymous.Headers.WwwAuthenticate);

        var (wrongRole, _) = await host.SendHttpAsync(Request(HttpMethod.Post, "/api/diagnostics/pings", Token(Role.Mentor, "volunteers"), new { }));
        Assert.Equal(HttpStatusCode.Forbidden, wrongRole.StatusCode);

        var ngo = Token(Role.Ngo, $"ngo-{Guid.NewGuid():N}");
        var (unknownField, _) = await host.SendHttpAsync(Request(HttpMethod.Post, "/api/diagnostics/pings", ngo, """{"failFirstAttempts":0,"colour":"red"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Contains("colour", await unknownField.Content.ReadAsStringAsync());

        var (created, createdInvocation) = await host.SendHttpAsync(Request(HttpMethod.Post, "/api/diagnostics/pings", ngo, new { failFirstAttempts = 0 }));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Succeeded(createdInvocation, host);
        var ping = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var (read, _) = await host.SendHttpAsync(Request(HttpMethod.Get, $"/api/diagnostics/pings/{(string)ping["id"]!}", ngo));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("queued", (string?)(await read.Content.ReadFromJsonAsync<JsonObject>())!["status"]);

        var (otherOrganisation, _) = await host.SendHttpAsync(Request(HttpMethod.Get, $"/api/diagnostics/pings/{(string)ping["id"]!}", Token(Role.Ngo, "another-ngo")));
        Assert.Equal(HttpStatusCode.NotFound, otherOrganisation.StatusCode);
    }

    [Fact]
    public async Task A_page_renders_and_its_form_posts_with_the_session_cookie_and_anti_forgery_token_through_the_worker_path()
    {
        var host = await worker.StartAsync(package);
        var ngo = Token(Role.Ngo, $"ngo-{Guid.NewGuid():N}");
        var (learner, _) = await host.SendHttpAsync(Request(HttpMethod.Post, "/api/learners", ngo, new { displayName = "Yusuf" }));
        var learnerId = (string)(await learner.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        var (link, _) = await host.SendHttpAsync(Request(HttpMethod.Post, $"/api/learners/{learnerId}/access-link", ngo));
        var url = new Uri((string)(await link.Content.ReadFromJsonAsync<JsonObject>())!["url"]!);

        // The link opens a session (a cookie) and shows the page, at the root: no /api.
        var (opened, openedInvocation) = await host.SendHttpAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(url.AbsolutePath, UriKind.Relative)));
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Succeeded(openedInvocation, host);
        var session = Cookie(opened, LinkSession.Cookie);

        var page = new HttpRequestMessage(HttpMethod.Get, new Uri("/l", UriKind.Relative));
        page.Headers.Add("Cookie", session);
        var (home, _) = await host.SendHttpAsync(page);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Equal("text/html", home.Content.Headers.ContentType?.MediaType);
        var html = await home.Content.ReadAsStringAsync();
        Assert.Contains("Bonjour Yusuf", html);
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"_form\" value=\"([^\"]+)\"").Groups[1].Value;
        var cookies = $"{session}; {Cookie(home, "matching-form")}";

        // A form without the page's token is refused; with it, it is handled (here: leaving the page on this phone).
        HttpRequestMessage Post(string? formToken)
        {
            var post = new HttpRequestMessage(HttpMethod.Post, new Uri("/l/sign-out", UriKind.Relative))
            {
                Content = new FormUrlEncodedContent(formToken is null ? [] : [new("_form", formToken)]),
            };
            post.Headers.Add("Cookie", cookies);
            return post;
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await host.SendHttpAsync(Post(null))).Response.StatusCode);
        var (left, leftInvocation) = await host.SendHttpAsync(Post(token));
        Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        Succeeded(leftInvocation, host);
        Assert.Contains("Vous avez quitté votre page", await left.Content.ReadAsStringAsync());
        Assert.StartsWith(LinkSession.Cookie + "=;", left.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(LinkSession.Cookie, StringComparison.Ordinal)));
    }

    /// <summary>The name=value of a cookie the answer set, as a browser sends it back.</summary>
    private static string Cookie(HttpResponseMessage response, string name) =>
        response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith(name + "=", StringComparison.Ordinal));

    [Fact]
    public async Task A_queue_function_handles_the_message_an_http_function_sent_and_fails_a_bad_one()
    {
        var host = await worker.StartAsync(package);
        var ngo = Token(Role.Ngo, $"ngo-{Guid.NewGuid():N}");
        var (created, _) = await host.SendHttpAsync(Request(HttpMethod.Post, "/api/diagnostics/pings", ngo, new { failFirstAttempts = 0 }));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var pingId = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        // The host reads the message the function enqueued and delivers it to the queue-triggered function.
        var queue = new QueueClient(worker.Azurite.ConnectionString, Pings.Queue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var messages = (await queue.ReceiveMessagesAsync(32)).Value;
        var message = Assert.Single(messages, m => m.MessageText.Contains(pingId));
        Succeeded(await host.DeliverQueueMessageAsync(Pings.FunctionName, message.MessageText, message.MessageId, message.DequeueCount,
            message.InsertedOn ?? DateTimeOffset.UtcNow), host);

        var (read, _) = await host.SendHttpAsync(Request(HttpMethod.Get, $"/api/diagnostics/pings/{pingId}", ngo));
        var view = (await read.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("handled", (string?)view["status"]);
        Assert.Equal(message.DequeueCount, (long)view["attempts"]!);

        var bad = await host.DeliverQueueMessageAsync(Pings.FunctionName, """{"organisationId":"","pingId":"x"}""", "bad-1", 1, DateTimeOffset.UtcNow);
        Assert.Equal(StatusResult.Types.Status.Failure, bad.Result.Status); // so the host retries it, then poisons it
    }

    [Fact]
    public async Task A_timer_function_runs_on_an_occurrence_and_does_its_work()
    {
        var host = await worker.StartAsync(package);
        var table = new TableServiceClient(worker.Azurite.ConnectionString).GetTableClient(Pings.Table);
        await table.CreateIfNotExistsAsync();
        var organisation = $"ngo-{Guid.NewGuid():N}";
        await table.AddEntityAsync(new TableEntity(organisation, "old") { ["Status"] = "handled", ["AcceptedAt"] = DateTimeOffset.UtcNow.AddDays(-8) });
        await table.AddEntityAsync(new TableEntity(organisation, "recent") { ["Status"] = "handled", ["AcceptedAt"] = DateTimeOffset.UtcNow.AddDays(-1) });

        Succeeded(await host.FireTimerAsync(Pings.PurgeFunctionName), host);

        var left = new List<string>();
        await foreach (var e in table.QueryAsync<TableEntity>(e => e.PartitionKey == organisation)) left.Add(e.RowKey);
        Assert.Equal(["recent"], left);
    }
}
