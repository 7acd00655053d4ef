using System.Diagnostics;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>A pinned local stand-in written for Node (tools/…): started on a port, its output drained, stopped with the test process.</summary>
public static class NodeTool
{
    /// <summary>Starts <paramref name="script"/> (a path below the repository) with the port as its argument, and waits for the port.</summary>
    public static void Start(string what, string script, int port, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(port.ToString());
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{what} did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Azurite.AcceptsAsync(port).GetAwaiter().GetResult())
        {
            if (process.HasExited) throw new InvalidOperationException($"{what} stopped with exit code {process.ExitCode} (is its npm ci done?).");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} did not open its port.");
            Thread.Sleep(50);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Matching.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root is not above the tests.");
    }
}
