using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Matching.Benchmarks;

/// <summary>
/// A minimal SMTP server for measuring the moment a mail is handed over: it speaks ESMTP with STARTTLS (a certificate
/// made here, which the app trusts by file, as it trusts smtp4dev's) and AUTH PLAIN/LOGIN (any credentials), and
/// records, per recipient, when the end of DATA arrived. It keeps nothing else: smtp4dev, a full server that also
/// stores and shows mails, becomes the bottleneck itself under load, which is not what the budget is about.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public ConcurrentDictionary<string, DateTimeOffset> Received { get; } = new(StringComparer.OrdinalIgnoreCase);
    public int Port { get; }
    public string CertificatePath { get; } = Path.Combine(Path.GetTempPath(), $"smtp-sink-{Guid.NewGuid():N}.cer");

    public SmtpSink()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
        File.WriteAllBytes(CertificatePath, _certificate.Export(X509ContentType.Cert));
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public Dictionary<string, string> MailSettings => new()
    {
        ["Mail__Host"] = "localhost", ["Mail__Port"] = Port.ToString(), ["Mail__Security"] = "StartTls", ["Mail__UserName"] = "bench", ["Mail__Password"] = "bench",
        ["Mail__TrustedCertificate"] = CertificatePath,
    };

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        Stream stream = client.GetStream();
        var (reader, writer) = Open(stream);
        async Task Say(string line) { await writer.WriteAsync(line + "\r\n"); await writer.FlushAsync(); }
        var recipients = new List<string>();
        try
        {
            await Say("220 localhost sink");
            while (await reader.ReadLineAsync() is { } line)
            {
                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO": await Say("250-localhost"); await Say(stream is SslStream ? "250 AUTH PLAIN LOGIN" : "250 STARTTLS"); break;
                    case "STARTTLS":
                        await Say("220 go ahead");
                        var tls = new SslStream(stream);
                        await tls.AuthenticateAsServerAsync(_certificate);
                        stream = tls;
                        (reader, writer) = Open(stream);
                        break;
                    case "AUTH" when line.Contains("LOGIN", StringComparison.OrdinalIgnoreCase):
                        await Say("334 VXNlcm5hbWU6"); await reader.ReadLineAsync(); await Say("334 UGFzc3dvcmQ6"); await reader.ReadLineAsync(); await Say("235 ok"); break;
                    case "AUTH": await Say(line.Split(' ').Length > 2 ? "235 ok" : "334 "); if (line.Split(' ').Length <= 2) { await reader.ReadLineAsync(); await Say("235 ok"); } break;
                    case "MAIL": recipients.Clear(); await Say("250 ok"); break;
                    case "RCPT": recipients.Add(line[(line.IndexOf('<') + 1)..line.IndexOf('>')]); await Say("250 ok"); break;
                    case "DATA":
                        await Say("354 end with .");
                        while (await reader.ReadLineAsync() is { } data && data != ".") { }
                        var at = DateTimeOffset.UtcNow;
                        foreach (var r in recipients) Received.TryAdd(r, at);
                        await Say("250 queued");
                        break;
                    case "QUIT": await Say("221 bye"); return;
                    default: await Say("250 ok"); break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException) { }
    }

    private static (StreamReader, StreamWriter) Open(Stream stream) =>
        (new StreamReader(stream, Encoding.ASCII, false, 4096, leaveOpen: true), new StreamWriter(stream, Encoding.ASCII, 4096, leaveOpen: true) { NewLine = "\r\n" });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accepting; } catch (Exception) { }
        _certificate.Dispose();
        File.Delete(CertificatePath);
    }
}
