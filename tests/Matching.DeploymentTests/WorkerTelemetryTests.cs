using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Matching.FunctionalTests.Infrastructure;
using Matching.WorkerStandIn;

namespace Matching.DeploymentTests;

/// <summary>
/// The packaged worker with an OTLP exporter, started cold by the stand-in host: the OpenTelemetry pipeline is built
/// after start-up, yet the first request's spans and the logs written before the pipeline existed are exported.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class WorkerTelemetryTests(PackageTests.Package package) : IAsyncLifetime
{
    private Azurite _azurite = null!;
    private string? _appDirectory;

    public async Task InitializeAsync() => _azurite = await Azurite.StartAsync();

    public async Task DisposeAsync()
    {
        await _azurite.DisposeAsync();
        if (_appDirectory is not null) Directory.Delete(_appDirectory, recursive: true);
    }

    /// <summary>An OTLP/HTTP receiver: what was posted, by signal path. The payloads are protobuf; their strings are read as bytes.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<(string Path, byte[] Body)> _posted = new();

        public OtlpReceiver()
        {
            Port = FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try { context = await _listener.GetContextAsync(); }
                    catch (Exception) { return; }
                    using var body = new MemoryStream();
                    await context.Request.InputStream.CopyToAsync(body);
                    _posted.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                    context.Response.StatusCode = 200;
                    context.Response.Close();
                }
            });
        }

        public int Port { get; }

        public bool Received(string path, string text) =>
            _posted.Any(p => p.Path == path && p.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0);

        public string Summary => string.Join(", ", _posted.GroupBy(p => p.Path).Select(g => $"{g.Key}: {g.Count()} posts"));

        public void Dispose() => _listener.Close();

        private static int FreePort()
        {
            using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }
    }

    [Fact]
    public async Task A_cold_workers_first_request_and_start_up_logs_reach_the_exporter()
    {
        using var otlp = new OtlpReceiver();
        _appDirectory = package.Extract();
        await using var host = await StandInHost.StartAsync(_appDirectory, new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = _azurite.ConnectionString,
            ["Auth__DevelopmentSigningKey"] = "stand-in-host-signing-key-for-the-telemetry-test",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{otlp.Port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
        });

        // The first request, answered before the pipeline exists (it is built two seconds after start-up).
        var (health, _) = await host.SendHttpAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("/api/health", UriKind.Relative)));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(otlp.Received("/v1/traces", "api/health"), "exported before the pipeline was built: this test would prove nothing");

        Assert.True(await Until(() => otlp.Received("/v1/traces", "api/health"), TimeSpan.FromSeconds(20)),
            $"the first request's span (received: {otlp.Summary})\n{host.Diagnostics}");
        Assert.True(otlp.Received("/v1/traces", "GET /api/health"), "the ASP.NET Core server span, named as the instrumentation names it");
        Assert.True(otlp.Received("/v1/traces", "http.route"), "the server span's route");
        Assert.True(otlp.Received("/v1/traces", "Microsoft.Azure.Functions.Worker"), "the worker's invocation span");
        Assert.True(await Until(() => otlp.Received("/v1/logs", "Application started"), TimeSpan.FromSeconds(10)),
            $"a start-up log record, written before the pipeline existed (received: {otlp.Summary})");
    }

    [Fact]
    public async Task With_application_insights_as_on_azure_the_pipeline_starts_after_start_up_without_error()
    {
        _appDirectory = package.Extract();
        await using var host = await StandInHost.StartAsync(_appDirectory, new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = _azurite.ConnectionString,
            ["Auth__DevelopmentSigningKey"] = "stand-in-host-signing-key-for-the-telemetry-test",
            // As the Bicep sets them; there is no Azure here, so exports fail later, in the background.
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/",
            ["AZURE_CLIENT_ID"] = "00000000-0000-0000-0000-000000000000",
        });
        var (health, _) = await host.SendHttpAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("/api/health", UriKind.Relative)));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(await Until(() => host.Diagnostics.Contains("Telemetry started, exporting to Application Insights"), TimeSpan.FromSeconds(20)), host.Diagnostics);
        Assert.DoesNotContain("Telemetry could not start", host.Diagnostics);
    }

    private static async Task<bool> Until(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(100);
        }
        return true;
    }
}
