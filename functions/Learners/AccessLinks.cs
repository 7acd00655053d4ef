using Azure;
using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Learners;

public sealed record AccessLinkView(string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// A learner's personal access link: learners need no account (their NGO acts for them), but one may be given a link
/// to see their matches and sessions and answer check-ins themself. The link is a bearer token of its own kind
/// (<see cref="IAccessLinks.Prefix"/>), issued by the NGO's staff, valid 30 days, one per learner (a new one revokes the
/// last), revocable, and useless once the learner is erased. Only its SHA-256 is stored (<c>accesslinks</c> table).
/// </summary>
public sealed class AccessLinks(TableServiceClient tables, StorageProvisioner provisioner, LearnerDirectory learners, TimeProvider time) : IAccessLinks
{
    public const string Table = "accesslinks";
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);
    private TableClient Client => tables.GetTableClient(Table);

    public async Task<AccessLinkView?> IssueAsync(string org, string learnerId, string issuedBy, CancellationToken ct)
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
        return new AccessLinkView(token, expires);
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
    [EndpointSummary("Gives the learner a personal access link (30 days; a new one revokes the last): with it they see their matches and sessions and answer check-ins, nothing else. The token is shown once, here.")]
    [ProducesResponseType<AccessLinkView>(StatusCodes.Status201Created), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> IssueAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/learners/{learnerId}/access-link")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var caller = req.HttpContext.Caller();
        if (!Ids.IsValid(learnerId) || await links.IssueAsync(caller.OrganisationId, learnerId, caller.SubjectId, ct) is not { } link) return Problems.NotFound("The learner");
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
