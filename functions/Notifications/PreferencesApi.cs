using Microsoft.Extensions.Options;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Localization;

using Microsoft.AspNetCore.Mvc;

namespace Matching.Notifications;

/// <summary>
/// Signs the link in every email that lets its reader stop the mails without signing in: the recipient's key and
/// an HMAC of it. It can only turn that person's email off, so it never expires.
/// </summary>
public sealed class UnsubscribeLinks(BlobServiceClient blobs, StorageProvisioner provisioner, IOptions<NotificationOptions> options)
    : StoredKey(blobs, provisioner, "notification-links", options.Value.LinkKey)
{
    public async Task<string> TokenAsync(Recipient r, CancellationToken ct)
    {
        var body = Base64Url(Encoding.UTF8.GetBytes(r.ToString()));
        return $"{body}.{await SignAsync(body, ct)}";
    }

    public async Task<Recipient?> ReadAsync(string? token, CancellationToken ct)
    {
        if (token is not { Length: <= 600 } || token.Split('.') is not [var body, var signature]) return null;
        var expected = await SignAsync(body, ct);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))) return null;
        try { return Recipient.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(body.Replace('-', '+').Replace('_', '/'))))); }
        catch (FormatException) { return null; }
    }

    private async Task<string> SignAsync(string body, CancellationToken ct) =>
        Base64Url(HMACSHA256.HashData(Convert.FromBase64String(await GetAsync(ct)), Encoding.UTF8.GetBytes("unsubscribe\n" + body))[..18]);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Pad(string s) => s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
}

/// <summary>People choose how they are told (an NGO's staff set their learners' in Learners/LearnerPreferencesApi).</summary>
[Tags("Notifications")]
public sealed class PreferenceFunctions(PreferenceBook book)
{
    /// <summary>The caller as a recipient: a mentor by their mentor id, anyone else as their organisation's staff.</summary>
    public static Recipient Me(HttpContext context)
    {
        var caller = context.Caller();
        return caller.Role == Role.Mentor
            ? new Recipient(RecipientKind.Mentor, "", Ids.MentorId(caller.OrganisationId, caller.SubjectId))
            : new Recipient(RecipientKind.Staff, caller.OrganisationId, caller.SubjectId);
    }

    [Function("GetMyNotificationPreferences")]
    [RequireRoles(Role.Mentor, Role.Ngo, Role.Provider, Role.Admin)]
    [EndpointSummary("The caller's notification preferences (channels, language, time zone, quiet hours; staff: the address to write to).")]
    [ProducesResponseType<NotificationPreferences>(StatusCodes.Status200OK)]
    public async Task<IResult> GetMineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/me/notification-preferences")] HttpRequest req, CancellationToken ct) =>
        Results.Ok(await book.GetAsync(Me(req.HttpContext), ct));

    [Function("SaveMyNotificationPreferences")]
    [RequireRoles(Role.Mentor, Role.Ngo, Role.Provider, Role.Admin)]
    [EndpointSummary("Replaces the caller's notification preferences. Staff are written to only once they give an address.")]
    [AcceptsBody(typeof(NotificationPreferences)), ProducesResponseType<NotificationPreferences>(StatusCodes.Status200OK), ProducesValidationProblem]
    public async Task<IResult> SaveMineAsync([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/me/notification-preferences")] HttpRequest req, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<NotificationPreferences>(ct);
        var me = Me(req.HttpContext);
        var v = PreferenceRules.Validate(input, me.Kind);
        if (!v.IsValid) return v.ToResult();
        return Results.Ok(await book.SaveAsync(me, req.HttpContext.Caller().Role, input, ct));
    }
}

/// <summary>
/// The link at the foot of every email: opening it shows a page with one button (a link checker that opens it
/// changes nothing); the button, or a mail client's one-click unsubscribe (RFC 8058), turns that person's email off.
/// </summary>
[Tags("Notifications"), AllowAnonymous]
public sealed class UnsubscribeFunctions(UnsubscribeLinks links, PreferenceBook book, IStringLocalizer<Texts> texts)
{
    [Function("ShowUnsubscribe")]
    [EndpointSummary("The page an email's unsubscribe link opens.")]
    [QueryParameter("token", "The token in the email's link.")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/html"), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> ShowAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/notifications/unsubscribe")] HttpRequest req, CancellationToken ct)
    {
        var token = req.Query["token"].ToString();
        if (await links.ReadAsync(token, ct) is null) return Problems.NotFound("The link");
        return Page(texts["unsubscribe.ask"], $"<form method=\"post\" action=\"?token={Uri.EscapeDataString(token)}\"><button type=\"submit\">{Html(texts["unsubscribe.button"])}</button></form>");
    }

    [Function("Unsubscribe")]
    [EndpointSummary("Turns email off for the person the token names (one-click, RFC 8058).")]
    [QueryParameter("token", "The token in the email's link.")]
    [ProducesResponseType<string>(StatusCodes.Status200OK, "text/html"), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> UnsubscribeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/notifications/unsubscribe")] HttpRequest req, CancellationToken ct)
    {
        if (await links.ReadAsync(req.Query["token"].ToString(), ct) is not { } recipient) return Problems.NotFound("The link");
        await book.UnsubscribeAsync(recipient, ct);
        return Page(texts["unsubscribe.done"], "");
    }

    private IResult Page(string message, string form) => Results.Content(
        $"<!doctype html><html lang=\"{Texts.Language}\"><meta charset=\"utf-8\"><title>Matching</title><p>{Html(message)}</p>{form}</html>", "text/html; charset=utf-8");

    private static string Html(string text) => System.Net.WebUtility.HtmlEncode(text);
}
