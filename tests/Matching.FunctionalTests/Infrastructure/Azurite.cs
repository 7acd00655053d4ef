using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// A real Azurite process on free ports: in memory by default, or with its data in a folder so that it can
/// be stopped and started again (outage tests) without losing what was stored.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly string? _location;
    private Process? _process;

    private readonly List<string> _output = [];

    private Azurite(string? location)
    {
        _location = location;
        PickPorts();
    }

    public int BlobPort { get; private set; }
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    public static async Task<Azurite> StartAsync(bool persistent = false)
    {
        var location = persistent ? Directory.CreateTempSubdirectory("matching-azurite-").FullName : null;
        var azurite = new Azurite(location);
        // A free port is only free until someone takes it: tests running beside this one start their own
        // Azurite and servers, so a port picked here can be gone when Azurite binds it. Pick again then.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await azurite.StartAgainAsync();
                return azurite;
            }
            catch (AzuriteExited) when (attempt < 5)
            {
                azurite.PickPorts();
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) { _output.Add(line); if (_output.Count > 20) _output.RemoveAt(0); }
    }

    private void PickPorts() => (BlobPort, QueuePort, TablePort) = (FreePort(), FreePort(), FreePort());

    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false }) return;
        var start = new ProcessStartInfo(FindBinary())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--silent", "--disableTelemetry", "--skipApiVersionCheck",
                     "--blobPort", BlobPort.ToString(), "--queuePort", QueuePort.ToString(), "--tablePort", TablePort.ToString(),
                 })
            start.ArgumentList.Add(arg);
        if (_location is null) start.ArgumentList.Add("--inMemoryPersistence");
        else { start.ArgumentList.Add("--location"); start.ArgumentList.Add(_location); }

        lock (_output) _output.Clear();
        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        // Azurite writes why it stopped (EADDRINUSE, for one) on standard output.
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var port in new[] { BlobPort, QueuePort, TablePort })
        {
            while (!await AcceptsAsync(port))
            {
                if (_process.HasExited)
                {
                    await _process.WaitForExitAsync(); // lets the error stream drain
                    lock (_output) throw new AzuriteExited(_process.ExitCode, string.Join(" | ", _output));
                }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Azurite did not open port {port}.");
                await Task.Delay(50);
            }
        }
    }

    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited && _location is null)
        {
            _process.Kill(entireProcessTree: true); // in memory: nothing to flush
        }
        else if (!_process.HasExited)
        {
            // SIGTERM lets Azurite flush its on-disk data, like a storage service going away cleanly.
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        }
        _process.Dispose();
        _process = null;
        // The ports must be closed before the test goes on.
        foreach (var port in new[] { BlobPort, QueuePort, TablePort })
            for (var i = 0; i < 100 && await AcceptsAsync(port); i++) await Task.Delay(50);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_location is not null) try { Directory.Delete(_location, recursive: true); } catch (IOException) { }
    }

    internal static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindBinary()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tools", "azurite", "node_modules", ".bin", "azurite");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("Azurite is not installed: run scripts/test.sh (it runs npm ci in tools/azurite).");
    }

    private sealed class AzuriteExited(int code, string errors)
        : InvalidOperationException($"Azurite exited with code {code}: {errors}");
}
