using Microsoft.Extensions.Options;
using Matching.Training;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Matching.Engine;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>
/// The scorer in use. The current model comes from Blob Storage (<c>models/current.json</c> names a version;
/// <c>{version}.flat</c> holds what serving reads, ML.NET is never loaded), else from the configured path (by default the model
/// shipped beside the app), else the rule scorer. A newly promoted version is picked up by a periodic check,
/// without a restart; the swap is one reference assignment, so scoring never sees half a model.
/// </summary>
public sealed class ModelStore(BlobServiceClient blobs, StorageProvisioner provisioner, IOptions<MentoringOptions> options, TimeProvider time,
    ILogger<ModelStore> logger)
{
    public const string Container = "models";
    public const string Pointer = "current.json";
    /// <summary>Versions the pointer may name without a file: the rule scorer, and the model shipped with the app (the synthetic prior).</summary>
    public const string RulesVersion = Retraining.RulesVersion, PriorVersion = Retraining.PriorVersion;
    private static readonly RuleScorer Rules = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile IPairScorer? _current;
    private string? _pointerETag;
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;

    private TimeSpan CheckEvery => TimeSpan.FromSeconds(options.Value.ModelCheckSeconds);

    public async Task<IPairScorer> CurrentAsync(CancellationToken ct)
    {
        if (_current is { } current && time.GetUtcNow() - _checkedAt < CheckEvery) return current;
        if (_current is not null && !await _gate.WaitAsync(0, ct)) return _current;
        if (_current is null) await _gate.WaitAsync(ct);
        try
        {
            if (_current is { } again && time.GetUtcNow() - _checkedAt < CheckEvery) return again;
            _current = await LoadAsync(ct) ?? _current ?? Rules;
            _checkedAt = time.GetUtcNow();
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IPairScorer?> LoadAsync(CancellationToken ct)
    {
        try
        {
            await provisioner.EnsureReadyAsync(ct);
            var container = blobs.GetBlobContainerClient(Container);
            var pointer = container.GetBlobClient(Pointer);
            var properties = await pointer.GetPropertiesAsync(cancellationToken: ct);
            if (properties.Value.ETag.ToString() == _pointerETag && _current is not null) return null; // unchanged
            var content = await pointer.DownloadContentAsync(ct);
            var version = content.Value.Content.ToObjectFromJson<PointerFile>(TrainingData.Json)?.Version;
            if (string.IsNullOrWhiteSpace(version) || version.Contains('/')) throw new InvalidDataException("models/current.json names no version.");
            if (version is RulesVersion or PriorVersion)
            {
                _pointerETag = properties.Value.ETag.ToString();
                logger.LogInformation("Scoring with {Version}, as models/current.json says", version);
                return version == RulesVersion ? Rules : Prior();
            }
            var flat = (await container.GetBlobClient(version + FlatModelFile.Extension).DownloadContentAsync(ct)).Value.Content;
            var model = FlatModelFile.Read(flat.ToMemory().Span, $"models/{version}{FlatModelFile.Extension}");
            _pointerETag = properties.Value.ETag.ToString();
            logger.LogInformation("Scoring with model {Version} from Blob Storage", version);
            return model;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return _current ?? LoadFromPath();
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or RequestFailedException || StorageFailure.IsUnavailable(ex))
        {
            logger.LogWarning("Model check failed, keeping {Scorer}: {ErrorType}", _current?.Name ?? "the configured model", ex.GetType().Name);
            return _current ?? LoadFromPath();
        }
    }

    /// <summary>The model shipped with the app (or at Mentoring:ModelPath): trained on the synthetic world, the prior while real outcomes are few.</summary>
    public IPairScorer Prior() => LoadFromPath() ?? Rules;

    /// <summary>The configured model path, else the shipped model's.</summary>
    public static string ShippedPath(string? configured) =>
        configured is { Length: > 0 } p ? p : Path.Combine(AppContext.BaseDirectory, "Mentoring", "Model", "matching-v3.zip");

    private IPairScorer? LoadFromPath()
    {
        var path = ShippedPath(options.Value.ModelPath);
        if (!File.Exists(FlatModelFile.PathBeside(path)))
        {
            logger.LogWarning("No model at {Path}: scoring with the rule baseline", path);
            return Rules;
        }
        return FlatModelFile.ReadFile(path);
    }

    private sealed record PointerFile(string Version);
}
