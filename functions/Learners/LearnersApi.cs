using Matching.Engine;
using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Learners;

/// <summary>
/// The learners an NGO follows, in its own partition of the <c>learners</c> table. Kept minimal on purpose:
/// a first name or pseudonym is all that seat claims need (named beneficiaries). The mentoring capability
/// adds what matching needs.
/// </summary>
public static class LearnersApi
{
    public const string Table = "learners";

    public sealed record CreateLearnerRequest([property: System.ComponentModel.DataAnnotations.StringLength(60, MinimumLength = 1)] string DisplayName);

    public sealed record LearnerView(string Id, string DisplayName, DateTimeOffset CreatedAt);

    public sealed record LearnerListItem(string Id, string DisplayName, DateTimeOffset CreatedAt, LearnerStatus Status, string? LatestRequestId);

    public sealed record LearnerPage(IReadOnlyList<LearnerListItem> Items, string? ContinuationToken);


    public static IServiceCollection AddLearners(this IServiceCollection services) => services.AddTable(Table).AddSingleton<LearnerDirectory>()
        .AddTable(AccessLinks.Table).AddSingleton<AccessLinks>().AddSingleton<IAccessLinks>(sp => sp.GetRequiredService<AccessLinks>());

}

[Tags("Learners"), RequireRoles(Role.Ngo)]
public sealed class LearnerFunctions(LearnerDirectory learners, IEnumerable<ILearnerData> owners, ILearnerStatuses statuses, AccessLinks links,
    AuditTrail audit)
{
    [Function("ListLearners")]
    [EndpointSummary("The NGO's learners, a page at a time, each with where they stand (noRequest, waitingForProposals, proposed, offered, matched, ended); optionally only those whose name contains a text, or of one status.")]
    [EndpointDescription("Searching or filtering reads on through the list until the page is full or 5,000 learners were read: a page may then hold fewer items than asked; the continuationToken goes on from there.")]
    [QueryParameter("search", "Part of the display name, any case, accents ignored.", MaxLength = 60), QueryParameter("status", "noRequest, waitingForProposals, proposed, offered, matched or ended.", Enum = typeof(LearnerStatus))]
    [QueryParameter("pageSize", "1 to 100 (50).", Type = "integer", Minimum = 1, Maximum = 100), QueryParameter("continuationToken", "From the previous page.", MaxLength = 2048)]
    [ProducesResponseType<LearnersApi.LearnerPage>(StatusCodes.Status200OK), ProducesValidationProblem]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/learners")] HttpRequest req, CancellationToken ct)
    {
        var v = new Validation();
        var search = v.Text(req, "search");
        v.Require(search is null || search.Trim().Length is >= 1 and <= 60, "search", "1 to 60 characters.");
        LearnerStatus? status = null;
        if (v.Text(req, "status") is { } statusText)
        {
            if (Enum.TryParse<LearnerStatus>(statusText, ignoreCase: true, out var st) && Enum.IsDefined(st) && !int.TryParse(statusText, out _)) status = st;
            else v.Add("status", "noRequest, waitingForProposals, proposed, offered, matched or ended.");
        }
        var size = v.Int(req, "pageSize") ?? 50;
        v.Range(size, 1, 100, "pageSize");
        var token = v.Text(req, "continuationToken");
        v.Require(token is null || Ids.IsValid(token), "continuationToken", "Not a token this query gave.");
        if (!v.IsValid) return v.ToResult();
        var org = req.HttpContext.Caller().OrganisationId;
        var folded = search is null ? null : TextFolding.Folded(search);
        var items = new List<LearnersApi.LearnerListItem>();
        var filtering = status is not null || folded is not null;
        string? after = token;
        var scanned = 0;
        // Learners in id order, a block at a time, with one query for the requests of the block's learners (by the range
        // of their ids): no read per learner.
        while (true)
        {
            var want = filtering ? 500 : size - items.Count;
            var block = await learners.PageAsync(org, after, want, ct);
            if (block.Count == 0) { after = null; break; }
            scanned += block.Count;
            var byRequest = block.Any(l => l.LatestRequestId is not null)
                ? await statuses.StatusesAsync(org, block[0].Id, block[^1].Id, ct)
                : new Dictionary<string, LearnerStatus>();
            foreach (var l in block)
            {
                after = l.Id;
                // A request not found (erased meanwhile) leaves the learner with none.
                var latest = l.LatestRequestId;
                var st = latest is not null && byRequest.TryGetValue(latest, out var s) ? s : LearnerStatus.NoRequest;
                if (status is { } wanted && st != wanted) continue;
                if (folded is not null && !TextFolding.Folded(l.DisplayName).Contains(folded, StringComparison.Ordinal)) continue;
                items.Add(new LearnersApi.LearnerListItem(l.Id, l.DisplayName, l.CreatedAt, st, latest));
                if (items.Count == size) break;
            }
            if (items.Count == size || scanned >= 5_000) break; // more may follow: go on from the last one read
            if (block.Count < want) { after = null; break; }   // the end of the list
        }
        var next = after;
        return Results.Ok(new LearnersApi.LearnerPage(items, next));
    }

    [Function("CreateLearner")]
    [EndpointSummary("Registers a learner the calling NGO follows (first name or pseudonym only).")]
    [AcceptsBody(typeof(LearnersApi.CreateLearnerRequest)), ProducesResponseType<LearnersApi.LearnerView>(StatusCodes.Status201Created), ProducesValidationProblem]
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/learners")] HttpRequest req, CancellationToken ct)
    {
        var request = await req.ReadJsonAsync<LearnersApi.CreateLearnerRequest>(ct);
        var v = new Validation();
        v.Line(request.DisplayName, "displayName", 1, 60, "A first name or pseudonym of 1 to 60 characters.");
        if (!v.IsValid) return v.ToResult();
        var view = await learners.CreateAsync(req.HttpContext.Caller().OrganisationId, request.DisplayName.Trim(), ct);
        return Results.Created($"/api/learners/{view.Id}", view);
    }

    [Function("GetLearner")]
    [EndpointSummary("Shows one of the calling NGO's learners.")]
    [ProducesResponseType<LearnersApi.LearnerView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/learners/{learnerId}")] HttpRequest req,
        string learnerId, CancellationToken ct) =>
        await learners.FindAsync(req.HttpContext.Caller().OrganisationId, learnerId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The learner");

    [Function("DeleteLearner"), RequireRoles(Role.Ngo, Role.Learner)]
    [EndpointSummary("Erases a learner (right to erasure): by their NGO, or by the learner themself. What they held is given back; profile, contact and free text go; claims and outcomes keep only the opaque id.")]
    [ProducesResponseType(StatusCodes.Status204NoContent), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> DeleteAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/learners/{learnerId}")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var org = req.HttpContext.Caller().OrganisationId;
        if (!Own(req.HttpContext, learnerId) || await learners.FindAsync(org, learnerId, ct) is null) return Problems.NotFound("The learner");
        foreach (var owner in owners) await owner.EraseAsync(org, learnerId, ct);
        await links.RevokeAsync(org, learnerId, ct);
        await learners.DeleteAsync(org, learnerId, ct);
        await audit.WriteAsync(org, req.HttpContext.Caller().SubjectId, "learner.erased", learnerId, ct);
        return Results.NoContent();
    }

    [Function("ExportLearnerData"), RequireRoles(Role.Ngo, Role.Learner)]
    [EndpointSummary("Everything stored about a learner (right of access): for their NGO, or for the learner themself (without the notes meant for the NGO's staff).")]
    [EndpointDescription("Staff, note: the learner's own export does include the check-in comments their NGO wrote about their sessions. " +
        "They are personal data about the learner, to which GDPR article 15 gives them access; write them knowing the learner may read them.")]
    [ProducesResponseType<Dictionary<string, object>>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> ExportAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/learners/{learnerId}/data")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var org = req.HttpContext.Caller().OrganisationId;
        if (!Own(req.HttpContext, learnerId) || await learners.RowAsync(org, learnerId, ct) is not { } row) return Problems.NotFound("The learner");
        var export = new Dictionary<string, object?>
        {
            ["learner"] = row.Export(),
        };
        var forStaff = req.HttpContext.Caller().Role != Role.Learner;
        foreach (var owner in owners) export[owner.Section] = await owner.ExportAsync(org, learnerId, forStaff, ct);
        await audit.WriteAsync(org, req.HttpContext.Caller().SubjectId, "learner.exported", learnerId, ct);
        return Results.Ok(export);
    }

    /// <summary>A learner acts for themself only; NGO staff for any of the NGO's learners.</summary>
    private static bool Own(HttpContext http, string learnerId) => http.Caller() is var c && (c.Role != Role.Learner || c.SubjectId == learnerId);
}

/// <summary>Where a learner stands with mentoring, for the staff's list.</summary>
public enum LearnerStatus { NoRequest, WaitingForProposals, Proposed, Offered, Matched, Ended }

/// <summary>The mentoring capability says where each learner of a page stands (from their latest request).</summary>
public interface ILearnerStatuses
{
    /// <summary>The status each request of the learners whose ids lie from <paramref name="firstLearnerId"/> to
    /// <paramref name="lastLearnerId"/> gives its learner, by request id: one query for a block of learners.</summary>
    Task<IReadOnlyDictionary<string, LearnerStatus>> StatusesAsync(string org, string firstLearnerId, string lastLearnerId, CancellationToken ct);
}

/// <summary>A feature that keeps data about learners: it exports it and erases it when the learner is erased.</summary>
public interface ILearnerData
{
    string Section { get; }
    /// <param name="forStaff">The NGO's staff ask (everything); false when the learner asks for themself (notes meant for staff left out).</param>
    Task<object?> ExportAsync(string org, string learnerId, bool forStaff, CancellationToken ct);
    Task EraseAsync(string org, string learnerId, CancellationToken ct);
}

/// <summary>Reads and writes learners, always inside the caller's organisation (the partition key).</summary>
public sealed class LearnerDirectory(TableServiceClient tables, StorageProvisioner provisioner, TimeProvider time)
{
    private TableClient Table => tables.GetTableClient(LearnersApi.Table);

    public async Task<LearnersApi.LearnerView> CreateAsync(string org, string displayName, CancellationToken ct, string? id = null)
    {
        await provisioner.EnsureReadyAsync(ct);
        var entity = LearnerRow.New(org, id ?? Ids.New(), displayName, time.GetUtcNow());
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
        return ToView(LearnerRow.From(entity));
    }

    public async Task<LearnersApi.LearnerView?> FindAsync(string org, string id, CancellationToken ct) =>
        await RowAsync(org, id, ct) is { } row ? ToView(row) : null;

    public async Task<bool> DeleteAsync(string org, string id, CancellationToken ct)
    {
        if (!Ids.IsValid(id)) return false;
        await provisioner.EnsureReadyAsync(ct);
        var response = await Table.DeleteEntityAsync(org, id, Azure.ETag.All, ct);
        return response.Status != 404;
    }

    /// <summary>Up to <paramref name="count"/> of the organisation's learners after <paramref name="afterId"/>, in id order.</summary>
    public async Task<IReadOnlyList<LearnerRow>> PageAsync(string org, string? afterId, int count, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var filter = afterId is null ? TableClient.CreateQueryFilter($"PartitionKey eq {org}") : TableClient.CreateQueryFilter($"PartitionKey eq {org} and RowKey gt {afterId}");
        var list = new List<LearnerRow>(count);
        await foreach (var page in Table.QueryAsync<TableEntity>(filter, count, LearnerRow.ListColumns, ct).AsPages(null, count))
        {
            list.AddRange(page.Values.Select(LearnerRow.From));
            if (list.Count >= count || page.ContinuationToken is null) break;
        }
        return list.Count > count ? list.GetRange(0, count) : list;
    }

    /// <summary>A learner's row with its ETag, for the conditional changes below; read once per page shown (<see cref="RequestMemo"/>):
    /// the session check and the page share it.</summary>
    public Task<LearnerRow?> RowAsync(string org, string id, CancellationToken ct) =>
        RequestMemo.OnceAsync(("learner", org, id), () => ReadRowAsync(org, id, ct));

    private async Task<LearnerRow?> ReadRowAsync(string org, string id, CancellationToken ct)
    {
        if (!Ids.IsValid(id)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Table.GetEntityIfExistsAsync<TableEntity>(org, id, cancellationToken: ct);
        return found.HasValue ? LearnerRow.From(found.Value!) : null;
    }

    // The named changes: each merges its columns if the row has not changed since it was read (ETag.All: whatever it is now);
    // a row changed meanwhile is a 412 RequestFailedException for the caller to decide on.

    /// <summary>The learner's single active request slot is taken by <paramref name="requestId"/>, which is also their latest.</summary>
    public Task TakeRequestSlotAsync(LearnerRow learner, string requestId, CancellationToken ct) =>
        MergeAsync(learner.Org, learner.Id, learner.ETag, ct, (LearnerRow.ActiveRequestColumn, requestId), (LearnerRow.LastRequestColumn, requestId));

    /// <summary>The learner's active request slot is free again.</summary>
    public Task FreeRequestSlotAsync(string org, string learnerId, Azure.ETag etag, CancellationToken ct) =>
        MergeAsync(org, learnerId, etag, ct, (LearnerRow.ActiveRequestColumn, ""));

    public Task SaveProfileAsync(LearnerRow learner, string profileJson, CancellationToken ct) =>
        MergeAsync(learner.Org, learner.Id, learner.ETag, ct, (LearnerRow.ProfileColumn, profileJson));

    /// <summary>The fingerprint of the learner's current access link ("" when revoked).</summary>
    public Task SetAccessLinkAsync(string org, string learnerId, string fingerprint, Azure.ETag etag, CancellationToken ct) =>
        MergeAsync(org, learnerId, etag, ct, (LearnerRow.AccessLinkColumn, fingerprint));

    private Task MergeAsync(string org, string id, Azure.ETag etag, CancellationToken ct, params (string Column, object Value)[] changes)
    {
        var entity = new TableEntity(org, id);
        foreach (var (column, value) in changes) entity[column] = value;
        return Table.UpdateEntityAsync(entity, etag, TableUpdateMode.Merge, ct);
    }

    /// <summary>The ids among <paramref name="ids"/> that are not learners of <paramref name="org"/>.</summary>
    public async Task<IReadOnlyList<string>> NotOwnAsync(string org, IEnumerable<string> ids, CancellationToken ct)
    {
        var distinct = ids.Distinct().ToArray();
        var found = await Task.WhenAll(distinct.Select(id => FindAsync(org, id, ct)));
        return distinct.Where((_, i) => found[i] is null).ToArray();
    }

    private static LearnersApi.LearnerView ToView(LearnerRow row) => new(row.Id, row.DisplayName, row.CreatedAt);
}
