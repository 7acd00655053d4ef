using Microsoft.Extensions.Options;
using System.Net;
using Matching.Platform;
using Matching.Security;

using Microsoft.AspNetCore.Mvc;

namespace Matching.Notifications;

/// <summary>An organisation's admins register, list, rotate, re-enable and remove their webhook endpoints.</summary>
[Tags("Notifications"), RequireRoles(Role.Admin)]
public sealed class WebhookFunctions(WebhookBook book, IOptions<NotificationOptions> options, AuditTrail audit)
{
    private bool AllowPrivate => options.Value.PrivateWebhooksAllowed;

    [Function("AddWebhook")]
    [EndpointSummary("Registers an endpoint for the organisation's events; the answer holds its signing secret, shown this once.")]
    [AcceptsBody(typeof(WebhookInput)), ProducesResponseType<WebhookView>(StatusCodes.Status201Created), ProducesValidationProblem, ProducesProblem(StatusCodes.Status409Conflict)]
    public async Task<IResult> AddAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/webhooks")] HttpRequest req, CancellationToken ct)
    {
        var input = await req.ReadJsonAsync<WebhookInput>(ct);
        var v = WebhookRules.Validate(input, AllowPrivate);
        if (v.IsValid && !AllowPrivate)
            v.Require(await WebhookAddresses.ResolvesPubliclyAsync(new Uri(input.Url).IdnHost.Trim('[', ']'), Dns.GetHostAddressesAsync, ct), "url",
                "A host whose every address is public: this one does not resolve, or resolves to a private, loopback or reserved address.");
        if (!v.IsValid) return v.ToResult();
        var org = req.HttpContext.Caller().OrganisationId;
        if (await book.AddAsync(org, input, ct) is not { } view)
            return Problems.Result(StatusCodes.Status409Conflict, ProblemTypes.ForStatus(409), "Too many endpoints", Texts.Format("An organisation has at most {0} endpoints.", WebhookRules.MaxEndpointsPerOrganisation));
        await audit.WriteAsync(org, req.HttpContext.Caller().SubjectId, "webhook.added", view.Id, ct);
        return Results.Created($"/api/webhooks/{view.Id}", view);
    }

    [Function("ListWebhooks")]
    [EndpointSummary("The organisation's endpoints, with their state (enabled, or disabled and why; the last failure).")]
    [ProducesResponseType<IReadOnlyList<WebhookView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/webhooks")] HttpRequest req, CancellationToken ct) =>
        Results.Ok(await book.ListAsync(req.HttpContext.Caller().OrganisationId, ct));

    [Function("GetWebhook")]
    [EndpointSummary("One endpoint and its state.")]
    [ProducesResponseType<WebhookView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/webhooks/{webhookId}")] HttpRequest req, string webhookId, CancellationToken ct) =>
        await book.FindAsync(req.HttpContext.Caller().OrganisationId, webhookId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The webhook");

    [Function("RotateWebhookSecret")]
    [EndpointSummary("A new signing secret, shown this once; the previous one keeps signing beside it for a day.")]
    [ProducesResponseType<WebhookView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> RotateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/webhooks/{webhookId}/rotate-secret")] HttpRequest req, string webhookId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        if (await book.RotateAsync(caller.OrganisationId, webhookId, ct) is not { } view) return Problems.NotFound("The webhook");
        await audit.WriteAsync(caller.OrganisationId, caller.SubjectId, "webhook.secret-rotated", view.Id, ct);
        return Results.Ok(view);
    }

    [Function("EnableWebhook")]
    [EndpointSummary("Turns a disabled endpoint back on (its failure count starts again).")]
    [ProducesResponseType<WebhookView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> EnableAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/webhooks/{webhookId}/enable")] HttpRequest req, string webhookId, CancellationToken ct) =>
        await book.EnableAsync(req.HttpContext.Caller().OrganisationId, webhookId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The webhook");

    [Function("DeleteWebhook")]
    [EndpointSummary("Removes an endpoint: nothing more is sent to it.")]
    [ProducesResponseType(StatusCodes.Status204NoContent), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> DeleteAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/webhooks/{webhookId}")] HttpRequest req, string webhookId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        if (!await book.DeleteAsync(caller.OrganisationId, webhookId, ct)) return Problems.NotFound("The webhook");
        await audit.WriteAsync(caller.OrganisationId, caller.SubjectId, "webhook.removed", webhookId, ct);
        return Results.NoContent();
    }
}
