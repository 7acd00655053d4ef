using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// A real HTTP server standing in for an organisation's tool: each path is one endpoint, which answers as the test
/// says (200, or failures first), records every delivery and checks its Standard Webhooks signature with the
/// endpoint's secret (the library's own signing, compared in constant time with each signature sent).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(string Endpoint, string WebhookId, long Timestamp, string Body, string ContentType, bool SignatureValid, int Answered);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly ConcurrentDictionary<string, string> _secrets = new();
    private readonly ConcurrentDictionary<string, Func<int, int>> _answers = new();
    private readonly ConcurrentDictionary<(string, string), int> _attempts = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public string Url(string endpoint) => $"http://127.0.0.1:{Port}/hooks/{endpoint}";

    /// <summary>How an endpoint answers the n-th attempt (1-based) at one webhook id; 200 unless told.</summary>
    public void Answer(string endpoint, Func<int, int> status) => _answers[endpoint] = status;

    public void Secret(string endpoint, string secret) => _secrets[endpoint] = secret;

    public IReadOnlyList<Received> For(string endpoint) => _received.Where(r => r.Endpoint == endpoint).ToList();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/{endpoint}", async (string endpoint, HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var id = request.Headers["webhook-id"].ToString();
            var timestamp = long.TryParse(request.Headers["webhook-timestamp"], out var t) ? t : 0;
            var valid = receiver._secrets.TryGetValue(endpoint, out var secret) && Verify(secret, id, timestamp, body, request.Headers["webhook-signature"].ToString());
            var attempt = receiver._attempts.AddOrUpdate((endpoint, id), 1, (_, n) => n + 1);
            var status = receiver._answers.TryGetValue(endpoint, out var answer) ? answer(attempt) : 200;
            receiver._received.Enqueue(new Received(endpoint, id, timestamp, body, request.ContentType ?? "", valid, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.Port = new Uri(app.Urls.First()).Port;
        return receiver;
    }

    /// <summary>One of the space-separated <c>v1,…</c> signatures must be the one the secret makes of <c>id.timestamp.body</c>.</summary>
    private static bool Verify(string secret, string id, long timestamp, string body, string signatures)
    {
        var expected = new StandardWebhooks.StandardWebhook(secret).Sign(id, DateTimeOffset.FromUnixTimeSeconds(timestamp), body);
        return signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(s), System.Text.Encoding.ASCII.GetBytes(expected)));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
