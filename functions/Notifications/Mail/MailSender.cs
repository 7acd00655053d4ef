using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Matching.Notifications.Mail;

/// <summary>
/// SMTP settings (section <c>Mail</c>): any relay, Azure Communication Services' SMTP relay on Azure
/// (smtp.azurecomm.net:587, STARTTLS, the Entra application's credentials), smtp4dev locally.
/// </summary>
/// <param name="Security">StartTls (the default), SslOnConnect, or None (only for a local server).</param>
/// <param name="TrustedCertificate">A certificate file trusted in addition to the system's roots: smtp4dev's self-signed one, locally.</param>
/// <param name="From">The service's own mailbox: the sender of every mail and the organiser of every invitation.</param>
public sealed record MailSettings(string? Host = null, int Port = 587, string Security = "StartTls", string? UserName = null, string? Password = null,
    string? TrustedCertificate = null, string? From = null)
{
    public const string Section = "Mail";

    /// <summary>Read once, when the app is composed: a setting out of range stops the start, naming it.</summary>
    public static MailSettings Read(IConfiguration configuration)
    {
        var settings = configuration.GetSection(Section).Get<MailSettings>() ?? new();
        if (settings.Port is < 1 or > 65535) throw new InvalidOperationException("Mail:Port must be a TCP port (1 to 65535).");
        if (!Enum.TryParse<SecureSocketOptions>(settings.Security, ignoreCase: true, out _) || int.TryParse(settings.Security, out _))
            throw new InvalidOperationException("Mail:Security must be StartTls, SslOnConnect or None.");
        // Checked with the framework's parser: MimeKit, a large assembly, stays off the start path until the first mail.
        if (!System.Net.Mail.MailAddress.TryCreate(settings.From ?? DefaultFrom, out _)) throw new InvalidOperationException("Mail:From must be a mailbox, e.g. Matching <no-reply@example.org>.");
        // On Azure a mail never leaves unencrypted, whatever the settings say.
        return Matching.Security.AuthSettings.RunningOnAzure && string.Equals(settings.Security, "None", StringComparison.OrdinalIgnoreCase) ? settings with { Security = "StartTls" } : settings;
    }

    private const string DefaultFrom = "Matching <no-reply@matching.localhost>";

    /// <summary>The service's own mailbox (<c>Mail:From</c>).</summary>
    public MailboxAddress Sender() => MailboxAddress.Parse(From ?? DefaultFrom);

    public bool Configured => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>A mail the relay refused or could not take: temporary ones are retried, permanent ones are not.</summary>
public sealed class MailNotSentException(string reason, bool permanent, Exception inner) : Exception(reason, inner)
{
    public bool Permanent { get; } = permanent;
}

/// <summary>
/// Hands mails to the SMTP relay with MailKit: TLS always on Azure (<see cref="MailSettings.Read"/>), login
/// when a user name is set. One connection per mail: deliveries are spread over queue messages and instances, and a
/// relay's idle timeout would close a kept one anyway.
/// </summary>
public sealed class MailSender
{
    private readonly MailSettings _settings;
    private readonly ILogger<MailSender> _logger;
    // Read at a mail, and kept once read: locally the server writes its certificate when it starts, which may be after
    // the app, or while a first mail is being sent. Not there yet (or half written) is tried again at the next mail.
    private X509Certificate2? _trusted;

    public MailSender(MailSettings settings, ILogger<MailSender> logger)
    {
        _settings = settings;
        _logger = logger;
    }

    public bool Configured => _settings.Configured;

    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        using var client = new SmtpClient { Timeout = 30_000 };
        if ((_trusted ??= LoadTrusted(_settings.TrustedCertificate)) is { } trusted)
        {
            client.ServerCertificateValidationCallback = (_, certificate, chain, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None || certificate is not null && trusted.Thumbprint == certificate.GetCertHashString();
            // A self-signed certificate trusted by its file has no revocation list to ask for: asking only waits (seconds
            // offline). A relay with a certificate from a public authority is still checked.
            client.CheckCertificateRevocation = false;
        }
        try
        {
            await client.ConnectAsync(_settings.Host!, _settings.Port, Enum.Parse<SecureSocketOptions>(_settings.Security, ignoreCase: true), ct);
            if (!string.IsNullOrEmpty(_settings.UserName)) await client.AuthenticateAsync(_settings.UserName, _settings.Password ?? "", ct);
            await client.SendAsync(message, ct);
            await client.DisconnectAsync(true, ct);
        }
        catch (SmtpCommandException ex)
        {
            // 5xx: the address or the mail is refused for good; 4xx: try again later. The log names the code, not the address.
            _logger.LogWarning("The SMTP relay refused a mail: {StatusCode} {ErrorCode}", (int)ex.StatusCode, ex.ErrorCode);
            throw new MailNotSentException($"SMTP {(int)ex.StatusCode}", permanent: (int)ex.StatusCode >= 500, ex);
        }
        catch (Exception ex) when (ex is SmtpProtocolException or IOException or System.Net.Sockets.SocketException or AuthenticationException or SslHandshakeException)
        {
            throw new MailNotSentException(ex.GetType().Name, permanent: false, ex);
        }
    }

    private static X509Certificate2? LoadTrusted(string? path) =>
        string.IsNullOrWhiteSpace(path) || !File.Exists(path) ? null : X509CertificateLoader.LoadCertificateFromFile(path);
}
