using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MimeKit;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// A real SMTP server with an HTTP API: smtp4dev (the dotnet tool pinned in .config/dotnet-tools.json, restored by
/// scripts/test.sh), on free ports, messages in memory, STARTTLS with its own self-signed certificate and a login
/// required, as a real relay would. Tests read what it received through its API.
/// </summary>
public sealed class Smtp4dev : IAsyncDisposable
{
    public const string UserName = "matching", Password = "local-relay-secret";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("matching-smtp4dev-").FullName;
    private readonly List<string> _output = [];
    private Process? _process;
    private readonly HttpClient _http = new();

    public int SmtpPort { get; private set; }
    public int WebPort { get; private set; }
    public string WebUrl => $"http://127.0.0.1:{WebPort}";
    public string CertificatePath => Path.Combine(_dataDir, "selfsigned-certificate.cer");

    /// <summary>The app's settings to send through this server.</summary>
    public IReadOnlyDictionary<string, string?> MailSettings => new Dictionary<string, string?>
    {
        ["Mail:Host"] = "localhost", ["Mail:Port"] = SmtpPort.ToString(), ["Mail:Security"] = "StartTls",
        ["Mail:UserName"] = UserName, ["Mail:Password"] = Password, ["Mail:TrustedCertificate"] = CertificatePath,
        ["Mail:From"] = "Matching <no-reply@matching.test>",
    };

    public static async Task<Smtp4dev> StartAsync()
    {
        var server = new Smtp4dev();
        for (var attempt = 1; ; attempt++)
        {
            try { await server.StartOnFreePortsAsync(); return server; }
            catch (InvalidOperationException) when (attempt < 5) { } // a port taken meanwhile: again, on others
        }
    }

    private async Task StartOnFreePortsAsync()
    {
        (SmtpPort, WebPort) = (Azurite.FreePort(), Azurite.FreePort());
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "smtp4dev", $"--smtpport={SmtpPort}", $"--urls={WebUrl}", "--db=", "--imapport=0", "--pop3port=0", "--nousersettings",
                     "--tlsmode=StartTls", "--hostname=localhost", $"--user={UserName}={Password}", "--authenticationrequired",
                     $"--baseappdatapath={_dataDir}", "--messagestokeep=1000",
                 })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("smtp4dev did not start.");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(await Azurite.AcceptsAsync(WebPort) && await Azurite.AcceptsAsync(SmtpPort) && CertificateWritten()))
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                lock (_output) throw new InvalidOperationException($"smtp4dev exited with code {_process.ExitCode}: {string.Join(" | ", _output.TakeLast(10))}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("smtp4dev did not start within 90 s.");
            await Task.Delay(100);
        }
    }

    /// <summary>Whether the server's certificate is there and whole (it is written while the server starts).</summary>
    private bool CertificateWritten()
    {
        try { using var _ = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(CertificatePath); return true; }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException) { return false; }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) { _output.Add(line); if (_output.Count > 50) _output.RemoveAt(0); }
    }

    /// <summary>Every message received so far, parsed from its source.</summary>
    public async Task<IReadOnlyList<MimeMessage>> MessagesAsync()
    {
        var page = await _http.GetFromJsonAsync<JsonElement>($"{WebUrl}/api/messages?pageSize=1000");
        var list = new List<MimeMessage>();
        foreach (var summary in page.GetProperty("results").EnumerateArray())
        {
            await using var source = await _http.GetStreamAsync($"{WebUrl}/api/messages/{summary.GetProperty("id").GetString()}/raw");
            list.Add(await MimeMessage.LoadAsync(source));
        }
        return list;
    }

    /// <summary>Waits for the messages to one address that satisfy <paramref name="match"/>.</summary>
    public async Task<MimeMessage> MessageToAsync(string address, Func<MimeMessage, bool>? match = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var found = (await MessagesToAsync(address)).FirstOrDefault(m => match?.Invoke(m) ?? true);
            if (found is not null) return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No such mail to {address}; it has {string.Join(", ", (await MessagesToAsync(address)).Select(m => m.Subject))}.");
            await Task.Delay(100);
        }
    }

    public async Task<IReadOnlyList<MimeMessage>> MessagesToAsync(string address) =>
        (await MessagesAsync()).Where(m => m.To.Mailboxes.Any(b => b.Address == address)).ToList();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, ".config", "dotnet-tools.json"))) return dir.FullName;
        throw new InvalidOperationException("No .config/dotnet-tools.json above the tests: smtp4dev is pinned there.");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
