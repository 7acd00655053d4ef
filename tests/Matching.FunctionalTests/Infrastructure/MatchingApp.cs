using System.Net.Http.Headers;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Matching.Hosting;
using Matching.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>The real app (its Program, middleware and storage code) in the test server, over a real Azurite.</summary>
public sealed class MatchingApp(string connectionString, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    : WebApplicationFactory<Program>
{
    public string ConnectionString { get; } = connectionString;

    /// <summary>The app's error logs, so that a test given an unexpected 5xx can say why (the gate logs type and stack only).</summary>
    public AppErrorLog Errors { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("AzureWebJobsStorage", ConnectionString);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) builder.UseSetting(key, value);
        // A test that needs time to pass (a session that has ended) moves the app's clock; storage keeps its own.
        if (clock is not null) builder.ConfigureTestServices(services => services.AddSingleton(clock));
        builder.ConfigureTestServices(services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Errors));
    }

    /// <summary>Serves the app over a real socket (Kestrel, a free port), for what the in-memory server cannot show: a browser, raw HTTP.</summary>
    public Uri StartOnKestrel(int port = 0)
    {
        UseKestrel(port);
        StartServer();
        return new Uri(Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>A token minted with the local development key, validated by the app like any other.</summary>
    public string Token(Role role, string organisationId, string? subject = null) =>
        DevelopmentTokens.Mint(Services.GetRequiredService<AuthSettings>(), subject ?? $"{role}-{Guid.NewGuid():N}",
            role, organisationId, TimeSpan.FromMinutes(30));

    /// <summary>A client whose every answer is checked against the OpenAPI document (<see cref="ContractCheck"/>).</summary>
    public HttpClient ClientFor(Role role, string organisationId, string? subject = null)
    {
        var client = CreateDefaultClient(new ContractCheck(CreateClient, Errors.Recent));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(role, organisationId, subject));
        // The tests read the API's words in English; people get French unless they ask (LocalisationTests).
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        return client;
    }

    /// <summary>Runs a timer function now, as the local scheduler does at its next occurrence.</summary>
    public Task RunTimerAsync(string name) =>
        Services.GetRequiredService<FunctionInvoker>().RunLocallyAsync(
            Services.GetRequiredService<FunctionCatalog>().FindTimer(name) ?? throw new ArgumentException($"No timer function {name}."),
            new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);

    public TableClient Table(string name) => new TableServiceClient(ConnectionString).GetTableClient(name);

    public QueueClient Queue(string name) =>
        new(ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    /// <summary>Fast queue semantics so that retry and poison tests take seconds: the listener reads this file.</summary>
    public static string FastHostJson()
    {
        var path = Path.Combine(Path.GetTempPath(), $"matching-host-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            { "version": "2.0",
              "extensions": { "queues": { "maxDequeueCount": 3, "visibilityTimeout": "00:00:00.300", "batchSize": 8,
                                          "maxPollingInterval": "00:00:00.500", "messageEncoding": "base64" } } }
            """);
        return path;
    }
}

/// <summary>One Azurite and the app over it in the local host (with the queue listener and timers).</summary>
public sealed class StorageFixture : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;
    public MatchingApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await Azurite.StartAsync();
        var hostJson = MatchingApp.FastHostJson();
        App = new MatchingApp(Azurite.ConnectionString, new Dictionary<string, string?>
        {
            ["Matching:HostJsonPath"] = hostJson,
            ["Mentoring:ModelCheckSeconds"] = "1", // so that a promoted model is picked up within the test
            ["RetrainSchedule"] = "0 0 0 1 1 *", // the tests run it themselves
            ["Mentoring:LoadSpreadWeight"] = "0", // rankings that do not depend on which tests ran before (LoadSpreadTests turn it on)
            ["Mentoring:ExplorationShare"] = "0", // the same proposals on every run (ExplorationTests turn it on)
            ["Matching:Telemetry:Enabled"] = "true", // spans and metrics are collected without an exporter: the telemetry tests read them
        });
        _ = App.Server; // start now, so that the listener is warm before the first test
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class StorageCollection : ICollectionFixture<StorageFixture>
{
    public const string Name = "storage";
}

public static class Eventually
{
    /// <summary>Polls until the condition holds; fails with the last observed state after the timeout.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        do
        {
            last = await probe();
            if (condition(last)) return last;
            await Task.Delay(50);
        } while (DateTime.UtcNow < deadline);
        throw new Xunit.Sdk.XunitException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last: {last}");
    }
}

/// <summary>Keeps the last error-level log lines of one app.</summary>
public sealed class AppErrorLog : Microsoft.Extensions.Logging.ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public string Recent() => string.Join("\n", _lines.TakeLast(5));

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(AppErrorLog log, string category) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Error;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            log._lines.Enqueue($"{category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
            while (log._lines.Count > 50) log._lines.TryDequeue(out _);
        }
    }
}
