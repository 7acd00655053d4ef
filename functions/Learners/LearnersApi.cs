using Azure.Data.Tables;
using Matching.Platform;
using Matching.Security;
using Matching.Hosting;
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

    public sealed record CreateLearnerRequest(string DisplayName);

    public sealed record LearnerView(string Id, string DisplayName, DateTimeOffset CreatedAt);

    public sealed record LearnerListItem(string Id, string DisplayName, DateTimeOffset CreatedAt, LearnerStatus Status, string? LatestRequestId);

    public sealed record LearnerPage(IReadOnlyList<LearnerListItem> Items, string? ContinuationToken);


    public static IServiceCollection AddLearners(this IServiceCollection services) => services.AddTable(Table).AddSingleton<LearnerDirectory>()
        .AddTable(AccessLinks.Table).AddSingleton<AccessLinks>().AddSingleton<IAccessLinks>(sp => sp.GetRequiredService<AccessLinks>());

}

[Tags("Learners"), RequireRoles(Role.Ngo)]
public sealed class LearnerFunctions(LearnerDirectory learners, IEnumerable<ILearnerData> owners, ILearnerStatuses statuses, AccessLinks links,
    Organisations.AuditTrail audit)
{
    [Function("ListLearners")]
    [EndpointSummary("The NGO's learners, a page at a time, each with where they stand (noRequest, waitingForProposals, proposed, offered, matched, ended); optionally only those whose name contains a text, or of one status.")]
    [EndpointDescription("Searching reads on through the list until the page is full or 2,000 learners were read, and a status filter reads the requests in that status: a page may hold fewer items than asked; the continuationToken goes on from there.")]
    [QueryParameter("search", "Part of the display name, any case, accents ignored."), QueryParameter("status", "noRequest, waitingForProposals, proposed, offered, matched or ended.")]
    [QueryParameter("pageSize", "1 to 100 (50)."), QueryParameter("continuationToken", "From the previous page.")]
    [ProducesResponseType<LearnersApi.LearnerPage>(StatusCodes.Status200OK), ProducesValidationProblem]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "learners")] HttpRequest req, CancellationToken ct)
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
        v.Require(token is null || token.Length <= 1000 && !token.Any(char.IsControl), "continuationToken", "Not a token this query gave.");
        if (!v.IsValid) return v.ToResult();
        var org = req.HttpContext.Caller().OrganisationId;
        var folded = search is null ? null : TextFolding.Folded(search);
        bool Named(TableEntity l) => folded is null || TextFolding.Folded(l.GetString("DisplayName")).Contains(folded, StringComparison.Ordinal);
        LearnersApi.LearnerListItem Item(TableEntity l, LearnerStatus st) => new(l.RowKey, l.GetString("DisplayName"), l.GetDateTimeOffset("CreatedAt") ?? default, st, Latest(l));
        var items = new List<LearnersApi.LearnerListItem>();
        string? next;
        if (status is { } wanted && wanted != LearnerStatus.NoRequest)
        {
            // By status: the requests in that status, filtered by the service, each checked to be its learner's latest.
            next = token;
            try
            {
                do
                {
                    var (requests, following) = await statuses.RequestsMakingAsync(org, wanted, size - items.Count, next, ct);
                    var rows = await Task.WhenAll(requests.Select(r => learners.RowAsync(org, r.LearnerId, ct)));
                    items.AddRange(rows.Zip(requests).Where(x => x.First is { } l && Latest(l) == x.Second.RequestId && Named(l)).Select(x => Item(x.First!, wanted)));
                    next = following;
                } while (items.Count == 0 && next is not null); // a filtered page can come back empty with a token: read on
            }
            catch (Azure.RequestFailedException ex) when (ex.Status == 400 && token is not null)
            {
                return Problems.Validation(new Dictionary<string, string[]> { ["continuationToken"] = ["Not a token this query gave."] });
            }
            return Results.Ok(new LearnersApi.LearnerPage(items, next));
        }
        if (token is not null && !Ids.IsValid(token)) return Problems.Validation(new Dictionary<string, string[]> { ["continuationToken"] = ["Not a token this query gave."] });
        var filtering = status is not null || folded is not null;
        string? after = token;
        var scanned = 0;
        // Learners in id order, a block at a time: the statuses of those kept are read together (none for "noRequest").
        while (true)
        {
            var want = filtering ? 200 : size - items.Count;
            var block = await learners.PageAsync(org, after, want, ct);
            scanned += block.Count;
            var kept = block.Where(l => Named(l) && (status is null || Latest(l) is null)).ToList();
            var known = status is null
                ? await statuses.StatusesAsync(org, kept.Select(l => (l.RowKey, Latest(l))).ToList(), ct)
                : kept.ToDictionary(l => l.RowKey, _ => LearnerStatus.NoRequest);
            foreach (var l in block)
            {
                after = l.RowKey;
                if (!known.TryGetValue(l.RowKey, out var st)) continue;
                items.Add(Item(l, st));
                if (items.Count == size) break;
            }
            if (items.Count == size || scanned >= 2_000) break; // more may follow: go on from the last one read
            if (block.Count < want) { after = null; break; }   // the end of the list
        }
        next = after;
        return Results.Ok(new LearnersApi.LearnerPage(items, next));
    }

    [Function("CreateLearner")]
    [EndpointSummary("Registers a learner the calling NGO follows (first name or pseudonym only).")]
    [AcceptsBody(typeof(LearnersApi.CreateLearnerRequest)), ProducesResponseType<LearnersApi.LearnerView>(StatusCodes.Status201Created), ProducesValidationProblem]
    public async Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "learners")] HttpRequest req, CancellationToken ct)
    {
        var request = await req.ReadJsonAsync<LearnersApi.CreateLearnerRequest>(ct);
        var v = new Validation();
        v.Require(request.DisplayName is { Length: >= 1 and <= 60 } && !request.DisplayName.Any(char.IsControl) && request.DisplayName.Trim().Length > 0,
            "displayName", "A first name or pseudonym of 1 to 60 characters.");
        if (!v.IsValid) return v.ToResult();
        var view = await learners.CreateAsync(req.HttpContext.Caller().OrganisationId, request.DisplayName.Trim(), ct);
        return Results.Created($"/api/learners/{view.Id}", view);
    }

    [Function("GetLearner")]
    [EndpointSummary("Shows one of the calling NGO's learners.")]
    [ProducesResponseType<LearnersApi.LearnerView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "learners/{learnerId}")] HttpRequest req,
        string learnerId, CancellationToken ct) =>
        await learners.FindAsync(req.HttpContext.Caller().OrganisationId, learnerId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The learner");

    [Function("DeleteLearner"), RequireRoles(Role.Ngo, Role.Learner)]
    [EndpointSummary("Erases a learner (right to erasure): by their NGO, or by the learner themself. What they held is given back; profile, contact and free text go; claims and outcomes keep only the opaque id.")]
    [ProducesResponseType(StatusCodes.Status204NoContent), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> DeleteAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "learners/{learnerId}")] HttpRequest req,
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
    [ProducesResponseType<Dictionary<string, object>>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> ExportAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "learners/{learnerId}/data")] HttpRequest req,
        string learnerId, CancellationToken ct)
    {
        var org = req.HttpContext.Caller().OrganisationId;
        if (!Own(req.HttpContext, learnerId) || await learners.RowAsync(org, learnerId, ct) is not { } row) return Problems.NotFound("The learner");
        var export = new Dictionary<string, object?>
        {
            // The matching profile is the mentoring section's, which knows which of its notes are for staff only.
            ["learner"] = row.Where(p => p.Key is not ("odata.etag" or "PartitionKey" or "RowKey" or "Timestamp" or "Profile")).ToDictionary(p => p.Key, p => p.Value),
        };
        var forStaff = req.HttpContext.Caller().Role != Role.Learner;
        foreach (var owner in owners) export[owner.Section] = await owner.ExportAsync(org, learnerId, forStaff, ct);
        await audit.WriteAsync(org, req.HttpContext.Caller().SubjectId, "learner.exported", learnerId, ct);
        return Results.Ok(export);
    }

    private static string? Latest(Azure.Data.Tables.TableEntity learner) =>
        learner.GetString("LastRequestId") is { Length: > 0 } last ? last : learner.GetString("ActiveRequestId") is { Length: > 0 } active ? active : null;

    /// <summary>A learner acts for themself only; NGO staff for any of the NGO's learners.</summary>
    private static bool Own(HttpContext http, string learnerId) => http.Caller() is var c && (c.Role != Role.Learner || c.SubjectId == learnerId);
}

/// <summary>Where a learner stands with mentoring, for the staff's list.</summary>
public enum LearnerStatus { NoRequest, WaitingForProposals, Proposed, Offered, Matched, Ended }

/// <summary>The mentoring capability says where each learner of a page stands (from their latest request).</summary>
public interface ILearnerStatuses
{
    /// <param name="latestRequests">Each learner's id and latest request id (null when they never asked).</param>
    Task<IReadOnlyDictionary<string, LearnerStatus>> StatusesAsync(string org, IReadOnlyList<(string LearnerId, string? RequestId)> latestRequests, CancellationToken ct);

    /// <summary>A page of the organisation's requests whose status makes their learner <paramref name="status"/> (not
    /// <see cref="LearnerStatus.NoRequest"/>), read by the service's filter: the learner's id and the request's, and the page's
    /// continuation token.</summary>
    Task<(IReadOnlyList<(string LearnerId, string RequestId)> Requests, string? Next)> RequestsMakingAsync(string org, LearnerStatus status, int count,
        string? continuation, CancellationToken ct);
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
        var entity = new TableEntity(org, id ?? Ids.New()) { ["DisplayName"] = displayName, ["CreatedAt"] = time.GetUtcNow() };
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
        return ToView(entity);
    }

    public async Task<LearnersApi.LearnerView?> FindAsync(string org, string id, CancellationToken ct)
    {
        if (!Ids.IsValid(id)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Table.GetEntityIfExistsAsync<TableEntity>(org, id, cancellationToken: ct);
        return found.HasValue ? ToView(found.Value!) : null;
    }

    public async Task<bool> DeleteAsync(string org, string id, CancellationToken ct)
    {
        if (!Ids.IsValid(id)) return false;
        await provisioner.EnsureReadyAsync(ct);
        var response = await Table.DeleteEntityAsync(org, id, Azure.ETag.All, ct);
        return response.Status != 404;
    }

    /// <summary>Up to <paramref name="count"/> of the organisation's learners after <paramref name="afterId"/>, in id order.</summary>
    public async Task<IReadOnlyList<TableEntity>> PageAsync(string org, string? afterId, int count, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var filter = afterId is null ? TableClient.CreateQueryFilter($"PartitionKey eq {org}") : TableClient.CreateQueryFilter($"PartitionKey eq {org} and RowKey gt {afterId}");
        var list = new List<TableEntity>(count);
        await foreach (var page in Table.QueryAsync<TableEntity>(filter, count, ["RowKey", "DisplayName", "CreatedAt", "ActiveRequestId", "LastRequestId"], ct).AsPages(null, count))
        {
            list.AddRange(page.Values);
            if (list.Count >= count || page.ContinuationToken is null) break;
        }
        return list.Count > count ? list.GetRange(0, count) : list;
    }

    /// <summary>A learner's row with its ETag, for the conditional changes of the mentoring capability.</summary>
    public async Task<TableEntity?> RowAsync(string org, string id, CancellationToken ct)
    {
        if (!Ids.IsValid(id)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var found = await Table.GetEntityIfExistsAsync<TableEntity>(org, id, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Merges the given properties into the learner's row if it has not changed since it was read.</summary>
    public Task UpdateAsync(TableEntity changes, Azure.ETag etag, CancellationToken ct) => Table.UpdateEntityAsync(changes, etag, TableUpdateMode.Merge, ct);

    /// <summary>The ids among <paramref name="ids"/> that are not learners of <paramref name="org"/>.</summary>
    public async Task<IReadOnlyList<string>> NotOwnAsync(string org, IEnumerable<string> ids, CancellationToken ct)
    {
        var distinct = ids.Distinct().ToArray();
        var found = await Task.WhenAll(distinct.Select(id => FindAsync(org, id, ct)));
        return distinct.Where((_, i) => found[i] is null).ToArray();
    }

    private static LearnersApi.LearnerView ToView(TableEntity e) => new(e.RowKey, e.GetString("DisplayName"), e.GetDateTimeOffset("CreatedAt") ?? default);
}
