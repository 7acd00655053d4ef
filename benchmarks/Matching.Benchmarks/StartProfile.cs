using System.Net;
using Matching.FunctionalTests.Infrastructure;
using Microsoft.Diagnostics.Tracing;

namespace Matching.Benchmarks;

/// <summary>
/// Where a cold start's time goes, for issue 30's start-up budget: the bare worker and the packaged app (exporter as it
/// ships) are each started three times to warm the disk, then once under the runtime's EventPipe (sample profiler, JIT
/// and loader events) into artifacts/traces/. The summary counts what the JIT compiled that ReadyToRun did not, by
/// type, the first place to look; the traces open in `dotnet-trace report … topN` or PerfView.
/// </summary>
internal static class StartProfile
{
    public static async Task RunAsync(Azurite azurite)
    {
        var traces = Path.GetFullPath(Path.Combine("artifacts", "traces"));
        Directory.CreateDirectory(traces);
        var workers = new (string Label, string Dir, Dictionary<string, string> Settings)[]
        {
            ("bare", Scenarios.PublishedWorker("MATCHING_BARE_DIR", "bare-worker", "dotnet publish benchmarks/BareWorker …"), new()),
            ("app", Scenarios.PublishedWorker("MATCHING_PACKAGE_DIR", "package", "scripts/package.sh"), Scenarios.AzureMonitorAsOnAzure()),
        };
        var summaries = new List<(string Label, Summary Jit)>();
        foreach (var (label, dir, settings) in workers)
        {
            var file = Path.Combine(traces, $"{label}.nettrace");
            for (var i = 0; i < 4; i++)
            {
                var run = new Dictionary<string, string>(settings);
                if (i == 3)
                {
                    run["DOTNET_EnableEventPipe"] = "1";
                    run["DOTNET_EventPipeOutputPath"] = file;
                    // Sample profiler, and the runtime's JIT (0x10), loader (0x8) and interop stubs, at verbose level.
                    run["DOTNET_EventPipeConfig"] = "Microsoft-DotNETCore-SampleProfiler:0:5,Microsoft-Windows-DotNETRuntime:0x4c14fccbd:5";
                }
                await using var host = await Scenarios.StartWorkerAsync(dir, azurite, run);
                var (response, _) = await host.SendHttpAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("/api/health", UriKind.Relative)));
                if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{label}: health answered {response.StatusCode}");
                var (connected, initialised, loaded) = host.StartTimes;
                Console.WriteLine($"{label} start {i + 1}{(i == 3 ? " (traced)" : "")}: connected {connected.TotalMilliseconds:0} ms, " +
                                  $"initialised {initialised.TotalMilliseconds:0}, functions loaded {loaded.TotalMilliseconds:0}, first answer {host.SinceStart.Elapsed.TotalMilliseconds:0}");
            }
            summaries.Add((label, Summary.Read(file)));
        }
        foreach (var (label, jit) in summaries)
            Console.WriteLine($"{label}: {jit.Methods.Count} methods compiled by the JIT ({jit.Methods.Sum(m => m.Ms):0} ms of JIT time, traced), {jit.Assemblies} assemblies loaded");
        var bareNames = summaries[0].Jit.Methods.Select(m => m.Name).ToHashSet();
        var extra = summaries[1].Jit.Methods.Where(m => !bareNames.Contains(m.Name)).ToList();
        Console.WriteLine($"the app's own: {extra.Count} methods, {extra.Sum(m => m.Ms):0} ms; by type:");
        foreach (var type in extra.GroupBy(m => m.Name.Split('[')[0].Split("::")[0]).OrderByDescending(g => g.Sum(m => m.Ms)).Take(15))
            Console.WriteLine($"  {type.Sum(m => m.Ms),6:0.0} ms {type.Count(),4}  {type.Key}");
    }

    private sealed record Summary(List<(string Name, double Ms)> Methods, int Assemblies)
    {
        public static Summary Read(string file)
        {
            using var source = new EventPipeEventSource(file);
            var started = new Dictionary<long, (string Name, double At)>();
            var methods = new List<(string Name, double Ms)>();
            var assemblies = 0;
            source.Clr.MethodJittingStarted += e => started[e.MethodID] = ($"{e.MethodNamespace}::{e.MethodName}", e.TimeStampRelativeMSec);
            source.Clr.MethodLoadVerbose += e =>
            {
                if (started.Remove(e.MethodID, out var s)) methods.Add((s.Name, e.TimeStampRelativeMSec - s.At));
            };
            source.Clr.LoaderAssemblyLoad += _ => assemblies++;
            source.Process();
            return new Summary(methods, assemblies);
        }
    }
}
