using Azure;
using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Matching.Notifications;
using Matching.Notifications.Sms;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Matching.Learners;

/// <param name="Token">The secret itself, shown once, here (only its hash is kept).</param>
/// <param name="Url">The link to give the learner: it opens their page on their phone (the token is its last part).</param>
/// <param name="SmsText">A ready text to send them with the link (GSM-7, one or two SMS).</param>
/// <param name="QrCodeSvg">The url as a QR code (SVG), to show on a screen or print: the learner opens it with their phone's camera.</param>
/// <param name="SentBySms">Whether it was just sent to the learner's phone, as asked.</param>
/// <param name="NotSentBecause">Why not, when it was asked and not sent.</param>
public sealed record AccessLinkView(string Token, DateTimeOffset ExpiresAt, string Url, string SmsText, string QrCodeSvg, bool SentBySms = false, string? NotSentBecause = null);

/// <param name="SendBySms">Send the link to the learner's phone now (their contact must be a phone number).</param>
public sealed record AccessLinkRequest(bool SendBySms = false);

/// <summary>
/// A learner's personal access link: learners need no account (their NGO acts for them), but one may be given a link
/// to see their matches and sessions and answer check-ins themself. The link is a bearer token of its own kind
/// (<see cref="IAccessLinks.Prefix"/>), issued by the NGO's staff, valid 30 days, one per learner (a new one revokes the
/// last), revocable, and useless once the learner is erased. Only its SHA-256 is stored (<c>accesslinks</c> table).
/// </summary>
public sealed class AccessLinks(TableServiceClient tables, StorageProvisioner provisioner, LearnerDirectory learners, INoticeParties parties,
    IOrganisationNames organisations, PreferenceBook preferences, SmsSender sms, IOptions<NotificationOptions> options, TimeProvider time) : IAccessLinks
{
    public const string Table = "accesslinks";
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);
    private TableClient Client => tables.GetTableClient(Table);

    public async Task<AccessLinkView?> IssueAsync(string org, string learnerId, string issuedBy, bool sendBySms, CancellationToken ct)
    {
        if (await learners.RowAsync(org, learnerId, ct) is not { } learner) return null;
        var token = IAccessLinks.Prefix + Ids.NewSecret();
        var expires = time.GetUtcNow() + Lifetime;
        await Client.AddEntityAsync(new TableEntity(Ids.Fingerprint(token), "link")
        {
            ["Organisation"] = org, ["LearnerId"] = learnerId, ["ExpiresAt"] = expires, ["IssuedBy"] = issuedBy, ["IssuedAt"] = time.GetUtcNow(),
        }, ct);
        // One link per learner: the learner's row names the current one, and the last is revoked.
        await learners.SetAccessLinkAsync(org, learnerId, Ids.Fingerprint(token), learner.ETag, ct);
        if (learner.AccessLink is { Length: > 0 } previous) await Client.DeleteEntityAsync(previous, "link", ETag.All, ct);
        // The link goes straight to the learner's page: short enough for an SMS, the secret its last part.
        var url = $"{options.Value.LinkBase}/l/{token[IAccessLinks.Prefix.Length..]}";
        var me = new Recipient(RecipientKind.Learner, org, learnerId);
        var prefs = await preferences.GetAsync(me, ct);
        var organisation = await organisations.NameAsync(org, ct) ?? org;
        var text = Texts.In(Texts.CultureOf(prefs.Language), () => SmsTexts.Link(organisation, url));
        var view = new AccessLinkView(token, expires, url, text, LinkQrCode.Svg(url, Texts.Localize("Your personal link to your page on Matching")));
        if (!sendBySms) return view;
        // Sent now, not through the outbox: the link is a secret, and no queue message or table row may hold it.
        var phone = (await parties.LearnerAsync(org, learnerId, ct))?.Phone;
        var why = phone is null ? "The learner's contact is not a phone number."
            : !sms.Configured ? "No SMS service is configured."
            : !prefs.Wants(Channel.Sms) ? "The learner turned SMS off."
            : null;
        if (why is null)
        {
            try { await sms.SendAsync(phone!, text, ct); }
            catch (SmsNotSentException ex) { why = ex.Permanent ? "The SMS service refused the text." : "The SMS service did not answer: try again, or give the link another way."; }
        }
        return view with { SentBySms = why is null, NotSentBecause = why is null ? null : Texts.Localize(why) };
    }

    /// <summary>Revokes the learner's link; false when they had none.</summary>
    public async Task<bool> RevokeAsync(string org, string learnerId, CancellationToken ct)
    {
        if (await learners.RowAsync(org, learnerId, ct) is not { } learner || learner.AccessLink is not { Length: > 0 } current) return false;
        await Client.DeleteEntityAsync(current, "link", ETag.All, ct);
        await learners.SetAccessLinkAsync(org, learnerId, "", ETag.All, ct);
        return true;
    }

    public async Task<Caller?> ResolveAsync(string token, CancellationToken ct)
    {
        if (token.Length is < 20 or > 100) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Client.GetEntityIfExistsAsync<TableEntity>(Ids.Fingerprint(token), "link", cancellationToken: ct);
        if (!found.HasValue || found.Value!.GetDateTimeOffset("ExpiresAt") is not { } expires || expires <= time.GetUtcNow()) return null;
        return new Caller(found.Value.GetString("LearnerId"), Role.Learner, found.Value.GetString("Organisation"));
    }
}

[Tags("Learners"), RequireRoles(Role.Ngo)]
public sealed class AccessLinkFunctions(AccessLinks links, AuditTrail audit)
{
    [Function("IssueAccessLink")]
    [EndpointSummary("Gives the learner a personal access link (30 days; a new one revokes the last): its url opens their page on their phone, and with its token they see their matches and sessions and answer check-ins, nothing else. Shown once, here, with a ready SMS text; sent to the learner's phone when asked (sendBySms).")]
    [AcceptsBody(typeof(AccessLinkRequest), Required = false), ProducesResponseType<AccessLinkView>(StatusCodes.Status201Created), ProducesValidationProblem, ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> IssueAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/learners/{learnerId}/access-link")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        // The body is optional: without one, the link is only shown.
        var asked = req.ContentLength is > 0 || req.Headers.TransferEncoding.Count > 0 ? await req.ReadJsonAsync<AccessLinkRequest>(ct) : new AccessLinkRequest();
        var caller = req.HttpContext.Caller();
        if (!Ids.IsValid(learnerId) || await links.IssueAsync(caller.OrganisationId, learnerId, caller.SubjectId, asked.SendBySms, ct) is not { } link)
            return Problems.NotFound("The learner");
        await audit.WriteAsync(caller.OrganisationId, caller.SubjectId, "access-link.issued", learnerId, ct);
        return Results.Created($"/api/learners/{learnerId}/access-link", link);
    }

    [Function("RevokeAccessLink")]
    [EndpointSummary("Revokes the learner's access link at once.")]
    [ProducesResponseType(StatusCodes.Status204NoContent), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> RevokeAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/learners/{learnerId}/access-link")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        if (!Ids.IsValid(learnerId) || !await links.RevokeAsync(caller.OrganisationId, learnerId, ct)) return Problems.NotFound("The learner's access link");
        await audit.WriteAsync(caller.OrganisationId, caller.SubjectId, "access-link.revoked", learnerId, ct);
        return Results.NoContent();
    }
}
