using Microsoft.Extensions.Options;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Matching.Engine;
using Matching.Training;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Mentoring;

/// <summary>
/// Every model version the service has seen, promoted or not: when it was trained, on what (the data's SHA-256 and
/// size), its held-out metrics, the gate's decision, and who or what made it current and when. Serving reads
/// models/current.json (<see cref="ModelStore"/>); making a version current, forward or back, rewrites it here.
/// </summary>
public sealed class ModelRegistry(TableServiceClient tables, BlobServiceClient blobs, StorageProvisioner provisioner, TimeProvider time)
{
    public const string Table = "modelversions";
    private const string Partition = "model";

    /// <param name="Sides">"two-sided" (the mentor's acceptance learnt apart), or "one-sided: why"; null for versions recorded before.</param>
    public sealed record VersionView(string Version, DateTimeOffset TrainedAt, string Data, string? DataSha256, int? DataOutcomes, double Ndcg5, double Auc,
        double? Brier, string Decision, string? Reason, bool Current, string? PromotedBy, DateTimeOffset? PromotedAt, string? Sides);

    /// <summary>Records a version from its report: the gate's decision when it was judged, else "uploaded".</summary>
    public async Task RecordAsync(ModelReport report, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var gate = report.Gate;
        await tables.GetTableClient(Table).UpsertEntityAsync(new TableEntity(Partition, report.Version)
        {
            ["TrainedAt"] = report.TrainedAt, ["Data"] = report.Data, ["DataSha256"] = gate?.DataSha256, ["DataOutcomes"] = gate?.DataOutcomes,
            ["Ndcg5"] = report.Model.Ndcg5, ["Auc"] = report.Model.Auc, ["Brier"] = gate?.Candidate.Brier,
            ["Decision"] = gate is null ? "uploaded" : gate.Promote ? "passed" : "rejected", ["Reason"] = gate?.Reason, ["Sides"] = report.Sides,
        }, TableUpdateMode.Merge, ct);
    }

    /// <summary>Uploads a model's files (zip, flat file, report) and records the version.</summary>
    public async Task UploadAsync(string modelPath, ModelReport report, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var container = blobs.GetBlobContainerClient(ModelStore.Container);
        await container.GetBlobClient($"{report.Version}.zip").UploadAsync(Path.ChangeExtension(modelPath, ".zip"), overwrite: true, ct);
        await container.GetBlobClient(report.Version + FlatModelFile.Extension).UploadAsync(FlatModelFile.PathBeside(modelPath), overwrite: true, ct);
        await container.GetBlobClient($"{report.Version}.json").UploadAsync(Evaluation.ReportPath(modelPath), overwrite: true, ct);
        var acceptance = FlatModelFile.AcceptanceZipBeside(modelPath); // a two-sided model's other record
        if (File.Exists(acceptance)) await container.GetBlobClient($"{report.Version}.accept.zip").UploadAsync(acceptance, overwrite: true, ct);
        await RecordAsync(report, ct);
    }

    /// <summary>Makes an uploaded version current (the gate passed, or an operator rolls back or forward): its flat file must load.</summary>
    public async Task<bool> MakeCurrentAsync(string version, string by, CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        var container = blobs.GetBlobContainerClient(ModelStore.Container);
        if (version is not (ModelStore.RulesVersion or ModelStore.PriorVersion)) // those two need no file
        {
            var flat = container.GetBlobClient(version + FlatModelFile.Extension);
            try { FlatModelFile.Read((await flat.DownloadContentAsync(ct)).Value.Content.ToMemory().Span, flat.Name); }
            catch (RequestFailedException ex) when (ex.Status == 404) { return false; }
        }
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        await container.GetBlobClient(ModelStore.Pointer).UploadAsync(BinaryData.FromString(JsonSerializer.Serialize(new { version })), overwrite: true, ct);
        await tables.GetTableClient(Table).UpsertEntityAsync(new TableEntity(Partition, version) { ["PromotedBy"] = by, ["PromotedAt"] = time.GetUtcNow() },
            TableUpdateMode.Merge, ct);
        return true;
    }

    public async Task<IReadOnlyList<VersionView>> ListAsync(CancellationToken ct)
    {
        await provisioner.EnsureReadyAsync(ct);
        string? current = null;
        try
        {
            var pointer = await blobs.GetBlobContainerClient(ModelStore.Container).GetBlobClient(ModelStore.Pointer).DownloadContentAsync(ct);
            current = JsonDocument.Parse(pointer.Value.Content.ToString()).RootElement.GetProperty("version").GetString();
        }
        catch (RequestFailedException ex) when (ex.Status == 404) { } // none promoted: the shipped model serves
        var versions = new List<VersionView>();
        await foreach (var e in tables.GetTableClient(Table).QueryAsync<TableEntity>(x => x.PartitionKey == Partition, cancellationToken: ct))
            versions.Add(new VersionView(e.RowKey, e.GetDateTimeOffset("TrainedAt") ?? default, e.GetString("Data") ?? "", e.GetString("DataSha256"), e.GetInt32("DataOutcomes"),
                e.GetDouble("Ndcg5") ?? 0, e.GetDouble("Auc") ?? 0, e.GetDouble("Brier"), e.GetString("Decision") ?? "uploaded", e.GetString("Reason"),
                e.RowKey == current, e.GetString("PromotedBy"), e.GetDateTimeOffset("PromotedAt"), e.GetString("Sides")));
        return versions.OrderByDescending(v => v.TrainedAt).ToList();
    }
}

/// <summary>Platform operators see every model version and make one current: a rollback is making an earlier version current.</summary>
[Tags("Mentoring"), RequireRoles(Role.Operator)]
public sealed class ModelFunctions(ModelRegistry registry)
{
    [Function("ListModelVersions")]
    [EndpointSummary("Platform operators only: every model version, newest first: its data, held-out metrics, the gate's decision, and which one serves.")]
    [ProducesResponseType<IReadOnlyList<ModelRegistry.VersionView>>(StatusCodes.Status200OK)]
    public async Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/models")] HttpRequest req) =>
        Results.Ok(await registry.ListAsync(req.HttpContext.RequestAborted));

    [Function("MakeModelCurrent")]
    [EndpointSummary("Platform operators only: makes an uploaded version the one that serves (to roll back, name an earlier one); instances switch without a restart.")]
    [ProducesResponseType<ModelRegistry.VersionView>(StatusCodes.Status200OK), ProducesProblem(StatusCodes.Status404NotFound)]
    public async Task<IResult> MakeCurrentAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/models/{version}/current")] HttpRequest req,
        string version, CancellationToken ct)
    {
        if (version.Length is 0 or > 64 || version.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))) return Problems.NotFound("The model version");
        if (!await registry.MakeCurrentAsync(version, $"operator {req.HttpContext.Caller().SubjectId}", ct)) return Problems.NotFound("The model version");
        return Results.Ok((await registry.ListAsync(ct)).FirstOrDefault(v => v.Version == version));
    }
}

/// <summary>
/// Weekly (the <c>RetrainSchedule</c> app setting): retrains on the service's own export when there are enough real
/// outcomes (<c>Mentoring:Retrain:MinimumOutcomes</c>, default 1,000; below it the model in service stays: too few
/// outcomes say more about chance than about pairs), and promotes the candidate only if the gate lets it through.
/// Every candidate is recorded in the registry, promoted or not.
/// </summary>
public sealed class RetrainModel(TrainingExport export, ModelStore models, ModelRegistry registry, IOptions<MentoringOptions> options, TimeProvider time,
    ILogger<RetrainModel> logger)
{
    public const string Schedule = "RetrainSchedule";

    [Function("RetrainModel")]
    public async Task RunAsync([TimerTrigger("%" + Schedule + "%")] TimerInfo timer, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("matching-retrain-").FullName;
        try
        {
            var file = Path.Combine(folder, "outcomes.jsonl");
            await using (var output = File.Create(file)) await export.WriteAsync(output, ct);
            TrainingData data;
            using (var reader = new StreamReader(file)) data = TrainingData.Read(reader);
            try { data.RefuseIfMostlyProblems("the service's export"); }
            catch (InvalidDataException ex)
            {
                logger.LogError("Retraining refused its input: {Reason}", ex.Message); // the export itself is wrong: a bug to fix, not data to train on
                return;
            }
            var minimum = options.Value.Retrain.MinimumOutcomes;
            var current = await models.CurrentAsync(ct);
            if (data.Outcomes.Count < minimum)
            {
                // Cold start: too few outcomes to train on, enough perhaps to see whether the synthetic prior or the rules
                // rank the real outcomes better; only while one of those two serves.
                var prior = models.Prior();
                if (data.Outcomes.Count > 0 && (current.Name == prior.Name || current is RuleScorer))
                {
                    var (choice, why) = Retraining.ColdStart(data, prior, time.GetUtcNow(), new GateOptions());
                    var serving = current is RuleScorer ? ModelStore.RulesVersion : ModelStore.PriorVersion;
                    if (choice != serving) await registry.MakeCurrentAsync(choice, $"cold start: {why}", ct);
                    logger.LogInformation("Retraining skipped: {Outcomes} real outcomes, fewer than {Minimum}; serving {Choice} ({Reason})", data.Outcomes.Count, minimum, choice, why);
                }
                else logger.LogInformation("Retraining skipped: {Outcomes} real outcomes, fewer than {Minimum}; the model in service stays", data.Outcomes.Count, minimum);
                return;
            }
            var now = time.GetUtcNow();
            var version = $"v{now:yyyyMMddHHmmss}";
            var gate = new GateOptions(NdcgMargin: options.Value.Retrain.NdcgMargin);
            ModelReport report;
            GateDecision decision;
            try
            {
                (report, decision) = Retraining.Run(data, current, folder, version, now, gate,
                    $"the service's export: {data.Outcomes.Count} outcomes, {data.Problems.Count} data problems", Retraining.Sha256(file),
                    options.Value.Retrain.PriorRequests);
            }
            catch (InvalidOperationException ex)
            {
                logger.LogWarning("Retraining found nothing to train on: {Reason}", ex.Message);
                return;
            }
            if (report.Settings is { FellBack: true } settings) logger.LogWarning("Retraining {Version}: the tree settings were not searched: {Settings}", version, settings.ToString());
            await registry.UploadAsync(Path.Combine(folder, $"{version}.zip"), report, ct);
            if (decision.Promote) await registry.MakeCurrentAsync(version, "retrain timer", ct);
            logger.LogInformation("Retrained {Version}: {Decision} ({Reason})", version, decision.Promote ? "promoted" : "rejected", decision.Reason);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
