using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using Fluid;
using Fluid.Values;
using Microsoft.Extensions.Localization;
using MimeKit;

namespace Matching.Notifications.Mail;

/// <summary>Who a mail goes to, as read when it is sent: their address, their own name (if known) and their choices.</summary>
public sealed record Addressee(string Address, string? Name, NotificationPreferences Preferences);

/// <summary>What a mail says beyond the notice: the organisation's name and the links, and for staff their learner's first
/// name. Never the other side's personal data.</summary>
/// <param name="Reader">Who reads it: a text may have a version for them (<c>mail.{event}.staff.body</c>), else the common one serves.</param>
public sealed record MailParts(string? OrganisationName, string? ActionUrl, string UnsubscribeUrl, string? Calendar = null,
    RecipientKind Reader = RecipientKind.Mentor, string? LearnerFirstName = null);

/// <summary>
/// Builds a notice's mail in the reader's language: the event's subject, body and action are Liquid templates in
/// the texts (<c>mail.{event}.subject|body|action</c>, per language), rendered with the notice's values, then set
/// in one HTML layout and one plain-text layout (Fluid). The HTML is encoded by Fluid; a session's invitation
/// travels as an .ics attachment. The Message-Id is derived from the delivery, so a retried send is recognisable.
/// </summary>
public sealed class MailComposer(IStringLocalizer<Texts> texts, MailSettings settings)
{
    private static readonly FluidParser Parser = new();
    private static readonly ConcurrentDictionary<string, IFluidTemplate> Templates = new();
    private static readonly IFluidTemplate HtmlLayout = Layout("Layout.html.liquid"), TextLayout = Layout("Layout.txt.liquid");

    public MailboxAddress From => settings.Sender();

    public MimeMessage Compose(string deliveryId, Notice notice, Addressee to, MailParts parts)
    {
        var culture = Texts.CultureOf(to.Preferences.Language);
        return Texts.In(culture, () =>
        {
            var code = NoticeRules.Code(notice.Type);
            var zone = TimeZoneInfo.TryFindSystemTimeZoneById(to.Preferences.TimeZone, out var z) ? z : TimeZoneInfo.Utc;
            var values = new Dictionary<string, string>
            {
                ["name"] = to.Name ?? "",
                ["organisation"] = parts.OrganisationName ?? texts["mail.organisation.unknown"],
                ["when"] = notice.When is { } when
                    ? TimeZoneInfo.ConvertTime(when, zone).ToString(texts["mail.when"], culture) + $" ({zone.Id})"
                    : "",
                ["reason"] = notice.Reason is { } reason ? texts["reason." + reason] : "",
                ["learner"] = parts.LearnerFirstName ?? texts["mail.learner.unknown"],
                ["then"] = notice.Then is { } then ? texts["mail.then." + then] : "",
            };
            // The reader's own version of a text where there is one (staff follow a learner; the parties live the session).
            var reader = parts.Reader.ToString().ToLowerInvariant();
            string Text(string part) => texts[$"mail.{code}.{reader}.{part}"] is { ResourceNotFound: false } own ? own : texts[$"mail.{code}.{part}"];
            var subject = Render(Text("subject"), values);
            if (subject.Length > 0) subject = char.ToUpper(subject[0], culture) + subject[1..]; // "la personne que vous accompagnez ..." opens a subject too
            var message = Build(culture, subject, Render(texts[to.Name is null ? "mail.greeting.anonymous" : "mail.greeting"], values), Render(Text("body"), values),
                Text("action"), parts.ActionUrl, texts["mail.why"], parts.UnsubscribeUrl, parts.Calendar);
            message.MessageId = $"{deliveryId}@matching";
            message.To.Add(new MailboxAddress(to.Name ?? "", to.Address));
            // One-click unsubscribe (RFC 8058): mail clients offer it beside the sender.
            message.Headers.Add("List-Unsubscribe", $"<{parts.UnsubscribeUrl}>");
            message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
            message.Headers.Add("X-Matching-Event", code);
            return message;
        });
    }

    /// <summary>
    /// An invitation to join an organisation, to an address that is nobody's yet: in the language of the admin who sent
    /// it (the current one), with the page that accepts it, and no unsubscribe link (one mail, asked for by a person; a
    /// stranger's preferences do not exist). Sent at once by the caller, never through the outbox: its link is a secret.
    /// </summary>
    public MimeMessage ComposeInvitation(string to, string organisation, string role, string url, DateTimeOffset expires)
    {
        var culture = System.Globalization.CultureInfo.CurrentUICulture;
        var values = new Dictionary<string, string>
        {
            ["organisation"] = organisation, ["role"] = role,
            ["until"] = expires.ToString(texts["mail.invitation.until"], culture),
        };
        var message = Build(culture, Render(texts["mail.invitation.subject"], values), texts["mail.greeting.anonymous"], Render(texts["mail.invitation.body"], values),
            texts["mail.invitation.action"], url, Render(texts["mail.invitation.why"], values), null, null);
        message.To.Add(MailboxAddress.Parse(to));
        message.Headers.Add("X-Matching-Event", "invitation");
        return message;
    }

    /// <summary>Sets the texts in the HTML and plain-text layouts; the Content-Language is the reader's (RFC 3282).</summary>
    private MimeMessage Build(System.Globalization.CultureInfo culture, string subject, string greeting, string body, string action, string? actionUrl,
        string why, string? unsubscribeUrl, string? calendar)
    {
        var layout = new Dictionary<string, string>
        {
            ["language"] = culture.TwoLetterISOLanguageName,
            ["subject"] = subject,
            ["greeting"] = greeting,
            ["body"] = body,
            ["action"] = action,
            ["action_url"] = actionUrl ?? "",
            ["signature"] = texts["mail.signature"],
            ["why"] = why,
            ["unsubscribe"] = texts["mail.unsubscribe"],
            ["unsubscribe_url"] = unsubscribeUrl ?? "",
        };
        var builder = new BodyBuilder
        {
            HtmlBody = HtmlLayout.Render(Context(layout), HtmlEncoder.Default),
            TextBody = TextLayout.Render(Context(layout), NullEncoder.Default),
        };
        if (calendar is { } ics)
            builder.Attachments.Add("session.ics", System.Text.Encoding.UTF8.GetBytes(ics), new ContentType("text", "calendar") { Parameters = { { "method", ics.Contains("METHOD:CANCEL") ? "CANCEL" : "REQUEST" }, { "charset", "utf-8" } } });
        var message = new MimeMessage { Subject = subject, Body = builder.ToMessageBody() };
        message.From.Add(From);
        message.Body.Headers.Add(HeaderId.ContentLanguage, culture.TwoLetterISOLanguageName);
        return message;
    }

    /// <summary>A text template (from the texts, so per language) with the notice's values; plain text out.</summary>
    private static string Render(string source, IReadOnlyDictionary<string, string> values)
    {
        var template = Templates.GetOrAdd(source, s => Parser.TryParse(s, out var t, out var error) ? t : throw new InvalidOperationException($"A mail text does not parse: {error}"));
        return template.Render(Context(values), NullEncoder.Default);
    }

    private static TemplateContext Context(IReadOnlyDictionary<string, string> values)
    {
        var context = new TemplateContext();
        foreach (var (key, value) in values) context.SetValue(key, FluidValue.Create(value, TemplateOptions.Default));
        return context;
    }

    private static IFluidTemplate Layout(string name)
    {
        using var stream = typeof(MailComposer).Assembly.GetManifestResourceStream("Matching.Mail." + name)
            ?? throw new InvalidOperationException($"The mail layout {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return Parser.TryParse(reader.ReadToEnd(), out var template, out var error) ? template : throw new InvalidOperationException($"The mail layout {name} does not parse: {error}");
    }
}
