using Microsoft.Extensions.Options;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Offers.Lheo;

/// <summary>
/// A provider uploads an LHEO document. Small documents are imported at once (200 with the summary); larger
/// ones are stored in Blob Storage and imported by a queue function (202 with a status URL). Either way an
/// invalid document changes nothing and its problems are listed.
/// </summary>
[Tags("Offers")]
public sealed class LheoImportApi(LheoImporter importer, Microsoft.Extensions.Options.IOptions<OfferOptions> options, AbuseLimits limits)
{
    public const string Container = "lheo-imports";
    public const string Table = "lheoimports";
    public const string Queue = "lheo-imports";
    public const string FunctionName = "ImportLheoDocument";
    public const long MaxDocumentBytes = 20 * 1024 * 1024;

    public sealed record ImportView(string Id, string Status, int Created, int Updated, int SessionsWithoutPlaces,
        IReadOnlyList<string> OfferIds, IReadOnlyList<string> Problems, DateTimeOffset AcceptedAt, DateTimeOffset? CompletedAt);

    /// <param name="Language">The uploader's language, in which the queued import words its problems (none: French).</param>
    internal sealed record ImportMessage(string ProviderOrg, string ImportId, string? Language = null);


    [Function("ImportLheo"), RequireRoles(Role.Provider), BodySizeLimit(MaxDocumentBytes)]
    [EndpointSummary("Imports an LHEO XML document: every action session with funded places becomes (or updates) an offer.")]
    [EndpointDescription("Content-Type application/xml. Up to the sync limit (256 KiB by default) the import runs at once (200); larger documents, up to 20 MiB, are queued (202 + Location).")]
    [AcceptsBody(typeof(string), "application/xml")]
    [ProducesResponseType<ImportView>(StatusCodes.Status200OK), ProducesResponseType<ImportView>(StatusCodes.Status202Accepted)]
    [ProducesProblem(StatusCodes.Status400BadRequest), ProducesProblem(StatusCodes.Status415UnsupportedMediaType), ProducesProblem(StatusCodes.Status429TooManyRequests)]
    public async Task<IResult> UploadAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/lheo-imports")] HttpRequest request, CancellationToken ct)
    {
        var http = request.HttpContext;
        var type = request.ContentType?.Split(';')[0].Trim();
        if (type is not ("application/xml" or "text/xml"))
            return Problems.Result(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType, "Send the LHEO document as application/xml");
        var org = http.Caller().OrganisationId;
        if (await limits.TakeAsync(org, AbuseLimits.Operation.LheoImports, ct) is { } tooMany) return tooMany;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, ct);
        body.Position = 0;
        if (body.Length > options.Value.LheoSyncLimitBytes)
        {
            var queued = await importer.QueueAsync(org, body, ct);
            return Results.Accepted($"/api/lheo-imports/{queued.Id}", queued);
        }
        var result = await importer.ImportAsync(org, body, "sync-" + Guid.NewGuid().ToString("N"), ct);
        return result.Status == "failed" ? InvalidDocument(result.Problems) : Results.Ok(result);
    }

    private static IResult InvalidDocument(IReadOnlyList<string> problems) => TypedResults.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
    {
        Status = 400, Type = ProblemTypes.InvalidLheo, Title = "The LHEO document is not valid; nothing was imported",
        Detail = Texts.Format("{0} problem(s).", problems.Count), Extensions = { ["problems"] = problems },
    });

    [Function("GetLheoImport"), RequireRoles(Role.Provider)]
    [EndpointSummary("Shows a queued import: queued, completed with its counts, or failed with its problems.")]
    [ProducesResponseType<ImportView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/lheo-imports/{importId}")] HttpRequest req,
        string importId, CancellationToken ct) =>
        await importer.FindAsync(req.HttpContext.Caller().OrganisationId, importId, ct) is { } view ? Results.Ok(view) : Problems.NotFound("The import");
}

/// <summary>Imports a queued document. Idempotent: a completed import is not run again; offers are upserted by their LHEO ids.</summary>
public sealed class ImportLheoDocument(LheoImporter importer, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    [Function(LheoImportApi.FunctionName)]
    public async Task RunAsync([QueueTrigger(LheoImportApi.Queue)] string message, string id, long dequeueCount, CancellationToken cancellationToken)
    {
        var m = new QueueMessage(id, message, dequeueCount).ReadJson<LheoImportApi.ImportMessage>(json.Value.SerializerOptions);
        // The problems are stored as read by the uploader, who asked for them in their language.
        System.Globalization.CultureInfo.CurrentUICulture = Texts.CultureOf(m.Language);
        await importer.RunQueuedAsync(m.ProviderOrg, m.ImportId, cancellationToken);
    }
}

public sealed class LheoImporter(OfferService offers, TableServiceClient tables, BlobServiceClient blobs, QueueSender queue,
    StorageProvisioner provisioner, TimeProvider time)
{
    private TableClient Table => tables.GetTableClient(LheoImportApi.Table);

    /// <summary>Validates the whole document first; only a valid document changes offers.</summary>
    public async Task<LheoImportApi.ImportView> ImportAsync(string providerOrg, Stream xml, string importId, CancellationToken ct)
    {
        var accepted = time.GetUtcNow();
        var read = LheoDocument.Read(xml, accepted);
        if (read.Problems.Count > 0)
            return new(importId, "failed", 0, 0, read.SessionsWithoutPlaces, [], read.Problems.Take(200).ToList(), accepted, time.GetUtcNow());
        int created = 0, updated = 0;
        var ids = new List<string>();
        var problems = new List<string>();
        foreach (var item in read.Offers)
        {
            var id = OfferId(providerOrg, item.ExternalId);
            ids.Add(id);
            var existing = await offers.ReadAsync(id, ct);
            if (existing is not null && existing.ProviderOrg != providerOrg) { problems.Add(Texts.Format("{0}: identifier clash.", item.Path)); continue; }
            if (existing is null)
            {
                try
                {
                    await offers.CreateAsync(providerOrg, item.Details, item.ExternalId, ct, id);
                    created++;
                }
                catch (RequestFailedException ex) when (ex.Status == 409) { updated++; } // a concurrent run created it
            }
            else updated++;
            var caller = new Caller("lheo-import", Role.Provider, providerOrg);
            var change = await offers.ChangeAsync(caller, id, o =>
            {
                if (o.Status == OfferStatus.Closed && item.Status != OfferStatus.Closed) return "A closed offer cannot reopen.";
                o.Details = item.Details;
                o.Status = item.Status;
                return null;
            }, ct);
            if (change.Error is { } e) problems.Add($"{item.Path}: {e.Text}");
        }
        return new(importId, "completed", created, updated, read.SessionsWithoutPlaces, ids, problems, accepted, time.GetUtcNow());
    }

    public async Task<LheoImportApi.ImportView> QueueAsync(string providerOrg, Stream xml, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var id = Ids.New();
        await blobs.GetBlobContainerClient(LheoImportApi.Container).GetBlobClient($"{providerOrg}/{id}.xml").UploadAsync(xml, ct);
        var view = new LheoImportApi.ImportView(id, "queued", 0, 0, 0, [], [], time.GetUtcNow(), null);
        await Table.AddEntityAsync(ToEntity(providerOrg, view), ct);
        await queue.SendAsync(LheoImportApi.Queue, new LheoImportApi.ImportMessage(providerOrg, id, Texts.Language), ct);
        return view;
    }

    public async Task RunQueuedAsync(string providerOrg, string importId, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(providerOrg, importId, cancellationToken: ct);
        if (!row.HasValue) throw new InvalidQueueMessageException($"Import {importId} has no status row.");
        if (row.Value!.GetString("Status") != "queued") return; // already done: at-least-once delivery
        var blob = blobs.GetBlobContainerClient(LheoImportApi.Container).GetBlobClient($"{providerOrg}/{importId}.xml");
        await using var xml = await blob.OpenReadAsync(cancellationToken: ct);
        var result = await ImportAsync(providerOrg, xml, importId, ct);
        var accepted = row.Value.GetDateTimeOffset("AcceptedAt") ?? result.AcceptedAt;
        await Table.UpdateEntityAsync(ToEntity(providerOrg, result with { AcceptedAt = accepted }), row.Value.ETag, TableUpdateMode.Replace, ct);
    }

    public async Task<LheoImportApi.ImportView?> FindAsync(string providerOrg, string importId, CancellationToken ct)
    {
        if (!Ids.IsValid(importId)) return null;
        await provisioner.EnsureReadyAsync(ct);
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(providerOrg, importId, cancellationToken: ct);
        if (!row.HasValue) return null;
        var e = row.Value!;
        return new(importId, e.GetString("Status"), e.GetInt32("Created") ?? 0, e.GetInt32("Updated") ?? 0, e.GetInt32("WithoutPlaces") ?? 0,
            Split(e.GetString("OfferIds")), Split(e.GetString("Problems")), e.GetDateTimeOffset("AcceptedAt") ?? default, e.GetDateTimeOffset("CompletedAt"));
    }

    /// <summary>The same LHEO identifiers from the same provider always name the same offer.</summary>
    public static string OfferId(string providerOrg, string externalId) =>
        Ids.Derive(providerOrg, externalId);

    private static TableEntity ToEntity(string org, LheoImportApi.ImportView v) => new(org, v.Id)
    {
        ["Status"] = v.Status, ["Created"] = v.Created, ["Updated"] = v.Updated, ["WithoutPlaces"] = v.SessionsWithoutPlaces,
        // Bounded so that the row stays far below the 64 KiB property limit.
        ["OfferIds"] = string.Join('\n', v.OfferIds.Take(1000)), ["Problems"] = Clip(string.Join('\n', v.Problems.Take(100)), 30_000),
        ["AcceptedAt"] = v.AcceptedAt, ["CompletedAt"] = v.CompletedAt,
    };

    private static string Clip(string s, int max) => s.Length > max ? s[..max] : s;
    private static IReadOnlyList<string> Split(string? s) => string.IsNullOrEmpty(s) ? [] : s.Split('\n');
}
