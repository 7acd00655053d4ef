using Matching.Notifications;
using Matching.Notifications.Mail;
using Matching.Security;
using Microsoft.Extensions.Options;

namespace Matching.Organisations;

/// <summary>
/// Sends an invitation to the address it was made for, with the page that accepts it (<c>/invitations/{token}</c>).
/// At once and never through the outbox: the link is the secret, and no queue message or table row may hold it. A
/// relay that fails leaves the invitation valid: the answer says why, and the admin can send another.
/// </summary>
public sealed class InvitationMail(MailComposer composer, MailSender sender, PreferenceBook preferences, IOptions<NotificationOptions> options)
{
    public const string PagePath = "/invitations/";

    public string Url(string token) => options.Value.LinkBase + PagePath + token;

    /// <summary>
    /// Null when it was sent; else why not, in the caller's language. The mail is in the language the inviter chose for
    /// their own mails (French until they say otherwise): the invited person has no preferences yet, and the one who
    /// knows them chose the words they share.
    /// </summary>
    public async Task<string?> SendAsync(Recipient inviter, string email, string organisationName, Role role, string token, DateTimeOffset expires, CancellationToken ct)
    {
        if (!sender.Configured) return Texts.Localize("No mail relay is configured: give the person the link.");
        var language = Texts.CultureOf((await preferences.GetAsync(inviter, ct)).Language);
        try
        {
            var message = Texts.In(language, () => composer.ComposeInvitation(email, organisationName, RoleWords(role), Url(token), expires));
            await sender.SendAsync(message, ct);
            return null;
        }
        catch (MailNotSentException ex)
        {
            return Texts.Localize(ex.Permanent ? "The mail relay refused the mail: check the address." : "The mail relay did not answer: try again, or give the person the link.");
        }
    }

    /// <summary>The role as the invited person reads it.</summary>
    public static string RoleWords(Role role) => Texts.Localize(role switch
    {
        Role.Mentor => "a volunteer mentor",
        Role.Admin => "an administrator",
        _ => "a member of the team",
    });
}
