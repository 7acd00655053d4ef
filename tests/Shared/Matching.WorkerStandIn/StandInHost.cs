using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Matching.WorkerStandIn.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Matching.WorkerStandIn;

/// <summary>
/// Plays the Functions host for one worker process, the way the host does it: listens for the worker's gRPC
/// event stream, starts the built worker with the host's arguments and environment, completes the start stream,
/// init, metadata and load exchange, then invokes functions. HTTP functions go through the worker's ASP.NET Core
/// proxying: the request is sent to the worker's own HttpUri with <c>x-ms-invocation-id</c> while the invocation
/// goes over gRPC; queue and timer functions get the trigger data the host sends.
/// A test fixture and a benchmark harness, never a way to run the product.
/// </summary>
public sealed class StandInHost : IAsyncDisposable
{
    private const string InvocationHeader = "x-ms-invocation-id";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly WebApplication _server;
    private readonly WorkerStream _stream;
    private readonly Process _worker;
    // As the real host proxies: a redirect or a cookie goes back to the caller, who follows or keeps it.
    private readonly HttpClient _http = new(new RetryRefusedConnections(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })) { Timeout = Timeout };
    private readonly ConcurrentQueue<string> _output;
    private readonly List<(HttpFunction Function, TemplateMatcher Matcher, decimal Precedence)> _routes = [];

    private StandInHost(WebApplication server, WorkerStream stream, Process worker, ConcurrentQueue<string> output, Stopwatch sinceStart)
    {
        (_server, _stream, _worker, _output, SinceStart) = (server, stream, worker, output, sinceStart);
    }

    /// <summary>The loaded functions by name, with the metadata the worker indexed.</summary>
    public IReadOnlyDictionary<string, RpcFunctionMetadata> Functions { get; private set; } = new Dictionary<string, RpcFunctionMetadata>();

    /// <summary>What the worker reported at init (HttpUri among them).</summary>
    public IReadOnlyDictionary<string, string> WorkerCapabilities { get; private set; } = new Dictionary<string, string>();

    /// <summary>From the worker process's start: its stream opened, init answered, every function loaded.</summary>
    public (TimeSpan Connected, TimeSpan Initialised, TimeSpan Loaded) StartTimes { get; private set; }

    /// <summary>The clock started just before the worker process, for measuring its first answer.</summary>
    public Stopwatch SinceStart { get; }

    /// <summary>What the worker printed and logged to the host: shown when something fails.</summary>
    public string Diagnostics =>
        string.Join('\n', _output.TakeLast(60)) + "\n-- worker logs to host --\n" +
        string.Join('\n', _stream.Logs.TakeLast(60).Select(l => $"{l.Level} {l.Category}: {l.Message} {l.Exception?.Message}"));

    /// <param name="appDirectory">The function app as deployed (worker.config.json, functions.metadata, host.json).</param>
    /// <param name="settings">App settings, given to the worker as environment variables as the host does.</param>
    public static async Task<StandInHost> StartAsync(string appDirectory, IReadOnlyDictionary<string, string> settings)
    {
        var stream = new WorkerStream();
        var server = await StartServerAsync(stream);
        var uri = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var workerId = Guid.NewGuid().ToString();
        var output = new ConcurrentQueue<string>();
        var start = WorkerStart(appDirectory, uri, workerId, settings);
        var sinceStart = Stopwatch.StartNew();
        var worker = Process.Start(start) ?? throw new InvalidOperationException("The worker did not start.");
        worker.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        worker.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();

        var host = new StandInHost(server, stream, worker, output, sinceStart);
        try
        {
            using var cts = new CancellationTokenSource(Timeout);
            await host.HandshakeAsync(appDirectory, workerId, cts.Token);
        }
        catch (Exception e)
        {
            var diagnostics = host.Diagnostics;
            await host.DisposeAsync();
            throw new InvalidOperationException($"The worker did not complete start-up: {e.Message}\n{diagnostics}", e);
        }
        return host;
    }

    private static async Task<WebApplication> StartServerAsync(WorkerStream stream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The worker speaks gRPC over plain-text HTTP/2, on loopback.
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => { o.MaxReceiveMessageSize = null; o.MaxSendMessageSize = null; });
        builder.Services.AddSingleton(stream);
        var server = builder.Build();
        server.MapGrpcService<FunctionRpcService>();
        await server.StartAsync();
        return server;
    }

    /// <summary>The worker's command line and environment, as the host builds them from worker.config.json.</summary>
    private static ProcessStartInfo WorkerStart(string appDirectory, string hostUri, string workerId, IReadOnlyDictionary<string, string> settings)
    {
        var description = JsonNode.Parse(File.ReadAllText(Path.Combine(appDirectory, "worker.config.json")))!["description"]!;
        var start = new ProcessStartInfo((string?)description["defaultExecutablePath"] ?? "dotnet")
        {
            WorkingDirectory = appDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(appDirectory, (string)description["defaultWorkerPath"]!));
        foreach (var (name, value) in new[]
                 {
                     ("--functions-uri", hostUri + "/"), ("--functions-worker-id", workerId),
                     ("--functions-request-id", Guid.NewGuid().ToString()), ("--functions-grpc-max-message-length", int.MaxValue.ToString()),
                 })
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" })
            start.Environment.Remove(inherited);
        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory;
        start.Environment["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory;
        foreach (var (key, value) in settings) start.Environment[key] = value;
        return start;
    }

    private async Task HandshakeAsync(string appDirectory, string workerId, CancellationToken ct)
    {
        await _stream.WaitConnectedAsync(ct);
        var startStream = (await _stream.NextAsync(StreamingMessage.ContentOneofCase.StartStream, ct)).StartStream;
        if (startStream.WorkerId != workerId) throw new InvalidOperationException($"Start stream from worker {startStream.WorkerId}, expected {workerId}.");
        var connected = SinceStart.Elapsed;

        await _stream.SendAsync(new StreamingMessage
        {
            RequestId = Guid.NewGuid().ToString(),
            WorkerInitRequest = new WorkerInitRequest { HostVersion = "4.0.0-stand-in", WorkerDirectory = appDirectory, FunctionAppDirectory = appDirectory },
        }, ct);
        var init = (await _stream.NextAsync(StreamingMessage.ContentOneofCase.WorkerInitResponse, ct)).WorkerInitResponse;
        EnsureSuccess(init.Result, "init");
        WorkerCapabilities = init.Capabilities.ToDictionary();
        var initialised = SinceStart.Elapsed;

        await _stream.SendAsync(new StreamingMessage
        {
            RequestId = Guid.NewGuid().ToString(),
            FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory },
        }, ct);
        var metadata = (await _stream.NextAsync(StreamingMessage.ContentOneofCase.FunctionMetadataResponse, ct)).FunctionMetadataResponse;
        EnsureSuccess(metadata.Result, "metadata");
        if (metadata.UseDefaultMetadataIndexing) throw new InvalidOperationException("The worker asked for host indexing; the stand-in only supports worker indexing.");

        foreach (var function in metadata.FunctionMetadataResults)
            await _stream.SendAsync(new StreamingMessage
            {
                RequestId = Guid.NewGuid().ToString(),
                FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function },
            }, ct);
        for (var i = 0; i < metadata.FunctionMetadataResults.Count; i++)
        {
            var load = (await _stream.NextAsync(StreamingMessage.ContentOneofCase.FunctionLoadResponse, ct)).FunctionLoadResponse;
            EnsureSuccess(load.Result, $"load of {load.FunctionId}");
        }
        Functions = metadata.FunctionMetadataResults.ToDictionary(f => f.Name);
        StartTimes = (connected, initialised, SinceStart.Elapsed);

        var prefix = RoutePrefix(appDirectory);
        foreach (var function in Functions.Values)
        {
            if (HttpFunction.From(function) is not { } http) continue;
            var template = TemplateParser.Parse($"{prefix}/{http.Route}".Trim('/'));
            _routes.Add((http, new TemplateMatcher(template, new RouteValueDictionary()), RoutePrecedence.ComputeInbound(template)));
        }
        _routes.Sort((a, b) => a.Precedence.CompareTo(b.Precedence)); // literal segments before parameters, as routing does
    }

    /// <summary>
    /// Sends an HTTP request as the host does for an HTTP-triggered function: the host matches the route, the
    /// invocation (with the route values as trigger metadata) goes over gRPC, the request itself to the worker.
    /// No function on the route: 404 from the host, with no invocation.
    /// </summary>
    public async Task<(HttpResponseMessage Response, InvocationResponse? Invocation)> SendHttpAsync(HttpRequestMessage request)
    {
        var workerUri = new Uri(WorkerCapabilities.TryGetValue("HttpUri", out var u) ? u : throw new InvalidOperationException("The worker reported no HttpUri: is ASP.NET Core integration on?"));
        var target = request.RequestUri ?? throw new ArgumentException("The request needs a relative URI.", nameof(request));
        var path = target.IsAbsoluteUri ? target.AbsolutePath : target.OriginalString.Split('?')[0];
        var values = new RouteValueDictionary();
        var match = _routes.FirstOrDefault(r =>
            r.Function.Methods.Contains(request.Method.Method, StringComparer.OrdinalIgnoreCase) && r.Matcher.TryMatch(new PathString(path), values = new RouteValueDictionary()));
        if (match.Function is null) return (new HttpResponseMessage(HttpStatusCode.NotFound), null);

        var invocation = NewInvocation(match.Function.Metadata);
        invocation.InputData.Add(new ParameterBinding
        {
            Name = match.Function.TriggerName,
            Data = new TypedData { Http = new RpcHttp { Method = request.Method.Method, Url = new Uri(workerUri, target.OriginalString).ToString() } },
        });
        foreach (var (key, value) in values)
            if (value is not null) invocation.TriggerMetadata[key] = new TypedData { String = value.ToString() };

        request.RequestUri = new Uri(workerUri, target.IsAbsoluteUri ? target.PathAndQuery : target.OriginalString);
        request.Headers.Add(InvocationHeader, invocation.InvocationId);
        using var cts = new CancellationTokenSource(Timeout);
        var invoked = _stream.InvokeAsync(invocation, cts.Token);
        var response = await _http.SendAsync(request, cts.Token);
        await response.Content.LoadIntoBufferAsync(cts.Token);
        return (response, await invoked);
    }

    /// <summary>Delivers a queue message as the host does: the text as the trigger, the message's properties as metadata.</summary>
    public Task<InvocationResponse> DeliverQueueMessageAsync(string function, string body, string messageId, long dequeueCount, DateTimeOffset insertedAt)
    {
        var metadata = Find(function);
        var invocation = NewInvocation(metadata);
        invocation.InputData.Add(new ParameterBinding { Name = TriggerName(metadata, "queueTrigger"), Data = new TypedData { String = body } });
        invocation.TriggerMetadata["QueueTrigger"] = new TypedData { String = body };
        invocation.TriggerMetadata["Id"] = new TypedData { String = messageId };
        invocation.TriggerMetadata["DequeueCount"] = new TypedData { Json = dequeueCount.ToString(CultureInfo.InvariantCulture) }; // numbers travel as JSON: the worker takes no Int here
        invocation.TriggerMetadata["PopReceipt"] = new TypedData { String = Guid.NewGuid().ToString("N") };
        invocation.TriggerMetadata["InsertionTime"] = new TypedData { Json = JsonSerializer.Serialize(insertedAt) };
        invocation.TriggerMetadata["ExpirationTime"] = new TypedData { Json = JsonSerializer.Serialize(insertedAt.AddDays(7)) };
        invocation.TriggerMetadata["NextVisibleTime"] = new TypedData { Json = JsonSerializer.Serialize(DateTimeOffset.UtcNow.AddMinutes(10)) };
        return InvokeAsync(invocation);
    }

    /// <summary>Fires a timer function as the host does at an occurrence of its schedule.</summary>
    public Task<InvocationResponse> FireTimerAsync(string function, bool isPastDue = false)
    {
        var metadata = Find(function);
        var now = DateTimeOffset.UtcNow;
        var timer = new JsonObject
        {
            ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new JsonObject { ["Last"] = now.AddDays(-1), ["Next"] = now.AddDays(1), ["LastUpdated"] = now },
            ["IsPastDue"] = isPastDue,
        };
        var invocation = NewInvocation(metadata);
        invocation.InputData.Add(new ParameterBinding { Name = TriggerName(metadata, "timerTrigger"), Data = new TypedData { Json = timer.ToJsonString() } });
        return InvokeAsync(invocation);
    }

    /// <summary>A new invocation in a new trace, as the host starts one for each trigger.</summary>
    private static InvocationRequest NewInvocation(RpcFunctionMetadata function) => new()
    {
        InvocationId = Guid.NewGuid().ToString(),
        FunctionId = function.FunctionId,
        TraceContext = new RpcTraceContext { TraceParent = $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01" },
    };

    private async Task<InvocationResponse> InvokeAsync(InvocationRequest invocation)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await _stream.InvokeAsync(invocation, cts.Token);
    }

    private RpcFunctionMetadata Find(string function) =>
        Functions.TryGetValue(function, out var metadata) ? metadata : throw new ArgumentException($"The worker loaded no function {function}.");

    private static string TriggerName(RpcFunctionMetadata metadata, string type) =>
        metadata.Bindings.FirstOrDefault(b => b.Value.Direction == BindingInfo.Types.Direction.In && b.Value.Type.Equals(type, StringComparison.OrdinalIgnoreCase)).Key
        ?? throw new ArgumentException($"{metadata.Name} has no {type}.");

    private static void EnsureSuccess(StatusResult? result, string step)
    {
        if (result?.Status != StatusResult.Types.Status.Success)
            throw new InvalidOperationException($"The worker failed {step}: {result?.Exception?.Message ?? result?.Result}");
    }

    private static string RoutePrefix(string appDirectory)
    {
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(appDirectory, "host.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return (string?)hostJson?["extensions"]?["http"]?["routePrefix"] ?? "api";
    }

    /// <summary>Asks the worker to stop as the host does, and makes sure it has.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_worker.HasExited)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _stream.SendAsync(new StreamingMessage { RequestId = Guid.NewGuid().ToString(), WorkerTerminate = new WorkerTerminate() }, cts.Token);
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _worker.WaitForExitAsync(exit.Token);
            }
            catch (Exception) when (!_worker.HasExited)
            {
                _worker.Kill(entireProcessTree: true);
            }
        }
        _worker.Dispose();
        _http.Dispose();
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    /// <summary>An HTTP-triggered function's route and methods, from the raw binding the worker indexed.</summary>
    private sealed record HttpFunction(RpcFunctionMetadata Metadata, string TriggerName, string Route, string[] Methods)
    {
        public static HttpFunction? From(RpcFunctionMetadata metadata)
        {
            foreach (var raw in metadata.RawBindings)
            {
                var binding = JsonNode.Parse(raw)!;
                if (!string.Equals((string?)binding["type"], "httpTrigger", StringComparison.OrdinalIgnoreCase)) continue;
                var methods = binding["methods"]?.AsArray().Select(m => (string)m!).ToArray() ?? ["GET", "POST", "PUT", "PATCH", "DELETE"];
                return new HttpFunction(metadata, (string)binding["name"]!, (string?)binding["route"] ?? metadata.Name, methods);
            }
            return null;
        }
    }

    /// <summary>
    /// The worker reports its HttpUri before its web server listens, so the host's proxy retries a refused
    /// connection (its RetryProxyHandler: 10 retries, 50 ms doubling to at most 250 ms); so does the stand-in.
    /// </summary>
    private sealed class RetryRefusedConnections(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var delay = TimeSpan.FromMilliseconds(50);
            for (var attempt = 0; ; attempt++)
            {
                try { return await base.SendAsync(request, ct); }
                catch (HttpRequestException e) when (attempt < 10 && e.HttpRequestError == HttpRequestError.ConnectionError)
                {
                    await Task.Delay(delay, ct);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
                }
            }
        }
    }
}
