using Microsoft.Extensions.Configuration;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Matching.Benchmarks;
using Matching.FunctionalTests.Infrastructure;

// A documented harness (docs/benchmarks.md): each scenario runs the real app as its own process over a real
// Azurite, sends bounded loopback traffic only, and prints its numbers.
//   dotnet run -c Release --project benchmarks/Matching.Benchmarks -- [startup|queue|health|claims|browse|requests|lifecycle|storage|limits|timers|worker|ratio|profile|pages|membership|learners|mail|reminders|webhooks|outboxcost|engine|scoring|memory|spread|curve|twosided|generalise|cohort|all]
var scenario = args.FirstOrDefault() ?? "all";
var appDll = AppProcess.FindAppDll();
Console.WriteLine($"app: {appDll}");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}");

if (scenario is "scoring")
{
    BenchmarkDotNet.Running.BenchmarkRunner.Run<Matching.Benchmarks.ScoringBenchmarks>(args: args[1..]);
    return;
}
if (scenario is "cohort")
{
    Matching.Benchmarks.MatchingScenarios.Cohorts(Path.Combine(Path.GetDirectoryName(appDll)!, "Mentoring", "Model", "matching-v3.zip"));
    return;
}
if (scenario is "generalise")
{
    Matching.Benchmarks.MatchingScenarios.Generalise();
    return;
}
if (scenario is "twosided")
{
    Matching.Benchmarks.MatchingScenarios.TwoSided();
    return;
}
if (scenario is "curve")
{
    Matching.Benchmarks.MatchingScenarios.Curve();
    return;
}
if (scenario is "spread")
{
    Matching.Benchmarks.MatchingScenarios.Spread(Path.Combine(Path.GetDirectoryName(appDll)!, "Mentoring", "Model", "matching-v3.zip"));
    return;
}
if (scenario is "engine")
{
    Matching.Benchmarks.MatchingScenarios.Engine(Path.Combine(Path.GetDirectoryName(appDll)!, "Mentoring", "Model", "matching-v3.zip"));
    return;
}
await using var azurite = await Azurite.StartAsync();
if (scenario is "startup" or "all") await Scenarios.StartupAsync(appDll, azurite);
if (scenario is "queue" or "all") await Scenarios.QueueLatencyAsync(appDll, azurite);
if (scenario is "health" or "all") await Scenarios.HealthAsync(appDll, azurite);
if (scenario is "claims" or "all") await OfferScenarios.ClaimsAsync(appDll, azurite);
if (scenario is "browse" or "all") await OfferScenarios.BrowseAsync(appDll, azurite);
if (scenario is "membership" or "all") await OrganisationScenarios.MembershipAsync(appDll, azurite);
if (scenario is "learners" or "all") await StaffViewScenarios.LearnersAsync(appDll, azurite);
if (scenario is "requests" or "all") await RequestScenarios.RequestsAsync(appDll, azurite);
if (scenario is "lifecycle" or "all")
    await LifecycleScenarios.TransitionsAsync(appDll, azurite, int.TryParse(Environment.GetEnvironmentVariable("MATCHING_CALLERS"), out var callers) ? callers : 50);
if (scenario is "memory") await RequestScenarios.MemoryAsync(appDll, azurite);
if (scenario is "mail" or "all")
    await NotificationScenarios.MailLatencyAsync(appDll, azurite, inFlight: int.TryParse(Environment.GetEnvironmentVariable("MATCHING_CALLERS"), out var mailCallers) ? mailCallers : 10,
        smtp4dev: args.Contains("--smtp4dev"));
if (scenario is "reminders") await NotificationScenarios.RemindersAsync(azurite); // seeds 10,000 sessions: on its own
if (scenario is "webhooks" or "all") await NotificationScenarios.WebhooksAsync(appDll, azurite);
if (scenario is "outboxcost" or "all") await NotificationScenarios.OutboxCostAsync(azurite);
if (scenario is "storage" or "lifecycle" or "all") await LifecycleScenarios.StorageCeilingAsync(azurite);
if (scenario is "limits" or "all") await LifecycleScenarios.LimitsAsync(azurite);
if (scenario is "timers") // seeds many rows: run on its own; MATCHING_DEADLINES and MATCHING_ENDED size it
    await LifecycleScenarios.TimersAndExportAsync(azurite,
        int.TryParse(Environment.GetEnvironmentVariable("MATCHING_DEADLINES"), out var d) ? d : 100_000, 2_000,
        int.TryParse(Environment.GetEnvironmentVariable("MATCHING_ENDED"), out var e) ? e : 20_000);
if (scenario is "worker" or "all")
{
    var starts = int.TryParse(Environment.GetEnvironmentVariable("MATCHING_STARTS"), out var n) ? n : 15;
    await Scenarios.WorkerStartAsync(azurite, "no telemetry exporter", new(), starts);
    // An OTLP endpoint where nothing listens: the exporter is set up as on Azure, exports fail in the background.
    await Scenarios.WorkerStartAsync(azurite, "OTLP exporter configured", new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{AppProcess.FreePort()}" }, starts);
    // As the Bicep configures it: Application Insights with Entra ID auth (the identity's token is only asked for at
    // the first export, which fails here in the background: no Azure).
    await Scenarios.WorkerStartAsync(azurite, "Azure Monitor exporter configured (as on Azure)", Scenarios.AzureMonitorAsOnAzure(), starts);
}

if (scenario is "profile") await StartProfile.RunAsync(azurite);
if (scenario is "pages" or "all")
    await PageScenarios.LearnerPageAsync(appDll, azurite, int.TryParse(Environment.GetEnvironmentVariable("MATCHING_CALLERS"), out var pageCallers) ? pageCallers : 5);
if (scenario is "ratio")
    await Scenarios.StartRatioAsync(azurite, int.TryParse(Environment.GetEnvironmentVariable("MATCHING_STARTS"), out var ratioStarts) ? ratioStarts : 21);

namespace Matching.Benchmarks
{
    internal static class Scenarios
    {
        /// <summary>
        /// Issue 19's start-up budget, as a ratio measured in one run: the packaged app (scripts/package.sh, in
        /// artifacts/package) against a bare isolated-worker app with one HTTP function, the same worker packages and
        /// the same publish (benchmarks/BareWorker, published to artifacts/bare-worker), each started by the stand-in
        /// host, taking turns start by start so that the machine's drift falls on all alike. First answer: process start
        /// to the answer of GET /api/health (the app's probes storage twice, the bare one answers at once).
        /// </summary>
        public static async Task StartRatioAsync(Azurite azurite, int runs)
        {
            var package = PublishedWorker("MATCHING_PACKAGE_DIR", "package", "scripts/package.sh");
            var bare = PublishedWorker("MATCHING_BARE_DIR", "bare-worker",
                "dotnet publish benchmarks/BareWorker -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o artifacts/bare-worker");
            var azureMonitor = AzureMonitorAsOnAzure();
            var configurations = new (string Label, string Dir, Dictionary<string, string> Settings)[]
            {
                ("bare worker, one HTTP function", bare, new()),
                ("the app, no exporter", package, new()),
                ("the app, Azure Monitor exporter (as it ships)", package, azureMonitor),
                ("the app, telemetry on without an exporter", package, new() { ["Matching__Telemetry__Enabled"] = "true" }),
            };
            var times = configurations.Select(_ => new List<double>()).ToArray();
            for (var i = 0; i < runs; i++)
                for (var c = 0; c < configurations.Length; c++)
                {
                    var (_, dir, settings) = configurations[c];
                    await using var host = await StartWorkerAsync(dir, azurite, settings);
                    var (response, _) = await host.SendHttpAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("/api/health", UriKind.Relative)));
                    if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{dir}: health answered {response.StatusCode}");
                    if (i > 0) times[c].Add(host.SinceStart.Elapsed.TotalMilliseconds); // the first round warms the disk cache
                }
            var baseline = Percentile(times[0], 0.50);
            for (var c = 0; c < configurations.Length; c++)
            {
                Report($"{configurations[c].Label}: worker start to first answer (ms)", times[c]);
                Console.WriteLine($"  p50 ratio to the bare worker: {Percentile(times[c], 0.50) / baseline:0.00}x (budget 1.25x)");
            }
        }

        /// <summary>As the Bicep configures it: Application Insights with Entra ID auth; exports fail in the background (no Azure).</summary>
        internal static Dictionary<string, string> AzureMonitorAsOnAzure() => new()
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = $"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:{AppProcess.FreePort()}/",
            ["AZURE_CLIENT_ID"] = "00000000-0000-0000-0000-000000000000",
        };

        /// <summary>A published worker's folder (the setting, else artifacts/<paramref name="name"/>), refused if it was not published.</summary>
        internal static string PublishedWorker(string setting, string name, string howToPublish)
        {
            var dir = Path.GetFullPath(Environment.GetEnvironmentVariable(setting)
                ?? Path.Combine(Path.GetDirectoryName(AppProcess.FindAppDll())!, "..", "..", "..", "..", "artifacts", name));
            if (!File.Exists(Path.Combine(dir, "functions.metadata")))
                throw new InvalidOperationException($"No published worker in {dir}: run {howToPublish} first.");
            return dir;
        }

        internal static Task<Matching.WorkerStandIn.StandInHost> StartWorkerAsync(string dir, Azurite azurite, Dictionary<string, string> settings) =>
            Matching.WorkerStandIn.StandInHost.StartAsync(dir, new Dictionary<string, string>(settings)
            {
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
                ["Auth__DevelopmentSigningKey"] = "benchmark-signing-key-for-the-worker-start-runs",
            });

        /// <summary>Process start to the first answer on GET /, in the local host (the way scripts/run.sh and the tests start it).</summary>
        public static async Task StartupAsync(string appDll, Azurite azurite, int runs = 15)
        {
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var port = AppProcess.FreePort();
                var watch = Stopwatch.StartNew();
                await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
                while (true)
                {
                    try
                    {
                        using var r = await http.GetAsync($"http://127.0.0.1:{port}/");
                        break; // any status counts as ready
                    }
                    catch (HttpRequestException) { await Task.Delay(2); }
                    if (watch.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("app did not answer");
                }
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            Report("start to first GET / (ms)", times.Skip(1).ToList()); // the first run warms the disk cache
        }

        /// <summary>
        /// The packaged worker (scripts/package.sh leaves it in artifacts/package) started by the stand-in host the
        /// deployment tests use: process start to the answer of its first invocation (GET /api/health through the
        /// ASP.NET Core proxying path), with the start stream, init and load times on the way. The part of a cold
        /// start that is ours; the real host's own start and the platform's are not in it.
        /// </summary>
        public static async Task WorkerStartAsync(Azurite azurite, string label, Dictionary<string, string> settings, int runs = 15)
        {
            var package = PublishedWorker("MATCHING_PACKAGE_DIR", "package", "scripts/package.sh");
            var (first, connected, initialised, loaded, listening) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
            for (var i = 0; i < runs; i++)
            {
                await using var host = await StartWorkerAsync(package, azurite, settings);
                var httpUri = new Uri(host.WorkerCapabilities["HttpUri"]);
                while (true)
                {
                    try { using var probe = new System.Net.Sockets.TcpClient(); await probe.ConnectAsync(httpUri.Host, httpUri.Port); break; }
                    catch (System.Net.Sockets.SocketException) { await Task.Delay(2); }
                }
                listening.Add(host.SinceStart.Elapsed.TotalMilliseconds);
                var (response, _) = await host.SendHttpAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("/api/health", UriKind.Relative)));
                if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"health answered {response.StatusCode}");
                if (i == 0) { listening.Clear(); continue; } // the first run warms the disk cache
                first.Add(host.SinceStart.Elapsed.TotalMilliseconds);
                connected.Add(host.StartTimes.Connected.TotalMilliseconds);
                initialised.Add(host.StartTimes.Initialised.TotalMilliseconds);
                loaded.Add(host.StartTimes.Loaded.TotalMilliseconds);
            }
            Console.WriteLine($"worker, {label}:");
            Report("worker start to start stream (ms)", connected);
            Report("worker start to init answered (ms)", initialised);
            Report("worker start to all functions loaded (ms)", loaded);
            Report("worker start to its HTTP server listening (ms)", listening);
            Report("worker start to first invocation answered (ms)", first);
        }

        /// <summary>
        /// A ping accepted over HTTP (enqueued by the app) to handled by the queue function in local mode, from the
        /// row's own timestamps; and the same for a message put on the queue by another process.
        /// </summary>
        public static async Task QueueLatencyAsync(string appDll, Azurite azurite, int messages = 200)
        {
            var port = AppProcess.FreePort();
            await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
            using var http = await AppProcess.ReadyClientAsync(port);
            http.DefaultRequestHeaders.Authorization = new("Bearer", AppProcess.Token("ngo", "bench"));

            var ids = new List<string>();
            for (var i = 0; i < messages; i++)
            {
                var r = await http.PostAsJsonAsync("/api/diagnostics/pings", new { failFirstAttempts = 0 });
                r.EnsureSuccessStatusCode();
                ids.Add((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
                await Task.Delay(20); // a steady trickle, not a burst: latency, not throughput
            }
            var latencies = new List<double>();
            foreach (var id in ids)
            {
                JsonElement view;
                var deadline = DateTime.UtcNow.AddSeconds(10);
                do
                {
                    view = await http.GetFromJsonAsync<JsonElement>($"/api/diagnostics/pings/{id}");
                    if (view.GetProperty("status").GetString() == "handled") break;
                    await Task.Delay(20);
                } while (DateTime.UtcNow < deadline);
                latencies.Add((view.GetProperty("handledAt").GetDateTimeOffset() - view.GetProperty("acceptedAt").GetDateTimeOffset()).TotalMilliseconds);
            }
            Report("accepted to handled, enqueued by the app (ms)", latencies);

            // Another producer: the listener learns of the message only by polling (back-off up to maxPollingInterval).
            var queue = new Azure.Storage.Queues.QueueClient(azurite.ConnectionString, "diagnostic-pings",
                new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 });
            var table = new Azure.Data.Tables.TableClient(azurite.ConnectionString, "diagnosticpings");
            var external = new List<double>();
            for (var i = 0; i < 40; i++)
            {
                var id = Guid.NewGuid().ToString("N");
                await table.AddEntityAsync(new Azure.Data.Tables.TableEntity("bench", id) { ["Status"] = "queued", ["AcceptedAt"] = DateTimeOffset.UtcNow });
                var sent = DateTimeOffset.UtcNow;
                await queue.SendMessageAsync(JsonSerializer.Serialize(new { organisationId = "bench", pingId = id, failFirstAttempts = 0 }));
                while (true)
                {
                    var e = (await table.GetEntityAsync<Azure.Data.Tables.TableEntity>("bench", id)).Value;
                    if (e.GetString("Status") == "handled") { external.Add((e.GetDateTimeOffset("HandledAt")!.Value - sent).TotalMilliseconds); break; }
                    await Task.Delay(10);
                }
                await Task.Delay(i % 2 == 0 ? 50 : 500); // warm (just polled) and cooling listener
            }
            Report("enqueued by another process to handled (ms)", external);
        }

        /// <summary>GET /api/health at a fixed 200 requests/s (open loop) for 15 s, on loopback, real Kestrel.</summary>
        public static async Task HealthAsync(string appDll, Azurite azurite, int rate = 200, int seconds = 15)
        {
            var port = AppProcess.FreePort();
            await using var app = AppProcess.Start(appDll, azurite, new() { ["Matching__LocalUrl"] = $"http://127.0.0.1:{port}" });
            using var http = await AppProcess.ReadyClientAsync(port);
            for (var i = 0; i < 200; i++) (await http.GetAsync("/api/health")).EnsureSuccessStatusCode(); // warm-up

            var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
            var tasks = new List<Task>();
            var start = Stopwatch.GetTimestamp();
            var total = rate * seconds;
            for (var i = 0; i < total; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate);
                var wait = due - Stopwatch.GetElapsedTime(start);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                tasks.Add(Task.Run(async () =>
                {
                    var t = Stopwatch.GetTimestamp();
                    using var r = await http.GetAsync("/api/health");
                    r.EnsureSuccessStatusCode();
                    latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }));
            }
            await Task.WhenAll(tasks);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            Console.WriteLine($"health: {total} requests in {elapsed:0.0} s ({total / elapsed:0} req/s achieved)");
            Report("GET /api/health latency at 200 req/s (ms)", latencies.ToList());
        }

        internal static void Report(string what, List<double> values)
        {
            values.Sort();
            Console.WriteLine($"{what}: n={values.Count} p50={Percentile(values, 0.50):0.0} p95={Percentile(values, 0.95):0.0} p99={Percentile(values, 0.99):0.0} max={values[^1]:0.0}");
        }

        /// <summary>Nearest-rank percentile; sorts <paramref name="values"/> in place.</summary>
        internal static double Percentile(List<double> values, double p)
        {
            values.Sort();
            return values[Math.Min(values.Count - 1, (int)Math.Ceiling(p * values.Count) - 1)];
        }
    }

    internal sealed class AppProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private AppProcess(Process process) => _process = process;

        public static AppProcess Start(string appDll, Azurite azurite, Dictionary<string, string> environment)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(appDll)! };
            start.ArgumentList.Add(appDll);
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            start.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
            start.Environment["Logging__LogLevel__Default"] = "Warning"; // measure the app, not the console
            // The load scenarios send more claims per organisation and minute than the abuse limits allow: they measure
            // the ledger, so the limits are off here (their own cost is two storage calls per limited request).
            start.Environment["Matching__Limits__ClaimsPerMinute"] = "0";
            start.Environment["Matching__Limits__MentorRequestsPerDay"] = "0";
            foreach (var (k, v) in environment) start.Environment[k] = v;
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new AppProcess(process);
        }

        public static async Task<HttpClient> ReadyClientAsync(int port)
        {
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            for (var i = 0; i < 300; i++)
            {
                try { if ((await http.GetAsync("/api/health")).StatusCode == HttpStatusCode.OK) return http; }
                catch (HttpRequestException) { }
                await Task.Delay(50);
            }
            throw new TimeoutException("app not ready");
        }

        public static string Token(string role, string org, string subject = "bench")
        {
            Matching.Security.Caller.TryParseRole(role, out var r);
            return Matching.Security.DevelopmentTokens.Mint(DevelopmentAuth(), subject, r, org, TimeSpan.FromHours(1));
        }

        /// <summary>A development token naming a person only: their memberships decide, as with a provider's token.</summary>
        public static string PersonToken(string subject) =>
            Matching.Security.DevelopmentTokens.Mint(DevelopmentAuth(), subject, null, null, TimeSpan.FromHours(1));

        private static Matching.Security.AuthSettings DevelopmentAuth()
        {
            var settingsFile = Path.Combine(Path.GetDirectoryName(FindAppDll())!, "appsettings.Development.json");
            return Matching.Security.AuthSettings.Read(new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddJsonFile(settingsFile).Build());
        }

        public static string FindAppDll()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "functions", "bin", "Release", "net10.0", "Matching.Functions.dll");
                if (File.Exists(candidate)) return Environment.GetEnvironmentVariable("MATCHING_APP_DLL") ?? candidate;
            }
            throw new InvalidOperationException("Build the app first: dotnet build -c Release");
        }

        public static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }

        /// <summary>The process's resident set now and at its peak (VmRSS, VmHWM in /proc: Linux).</summary>
        public double WorkingSetMiB() => Status("VmRSS:");
        public double PeakWorkingSetMiB() => Status("VmHWM:");

        private double Status(string field) =>
            File.ReadLines($"/proc/{_process.Id}/status").Where(l => l.StartsWith(field, StringComparison.Ordinal))
                .Select(l => double.Parse(l[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024).First();

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
