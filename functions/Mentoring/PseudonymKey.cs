using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>
/// The key of the training export's pseudonyms. It must stay secret (anyone holding it can link a pseudonym to an id)
/// and stable (rounds of exports join up), without becoming a secret to deploy: the app makes a random one on first
/// use and keeps it in its own private storage, which only its identity reads. Mentoring:PseudonymKey overrides it.
/// </summary>
public sealed class PseudonymKey(BlobServiceClient blobs, StorageProvisioner provisioner, IConfiguration configuration)
{
    public const string Container = "keys";
    private const string BlobName = "training-export-pseudonyms";
    private string? _key;

    public async Task<string> GetAsync(CancellationToken ct)
    {
        if (_key is not null) return _key;
        if (configuration["Mentoring:PseudonymKey"] is { Length: > 0 } configured) return _key = configured;
        await provisioner.EnsureReadyAsync(ct);
        var blob = blobs.GetBlobContainerClient(Container).GetBlobClient(BlobName);
        try
        {
            // Only the first writer wins (If-None-Match: *), so two instances starting together agree on one key.
            await blob.UploadAsync(BinaryData.FromString(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
                new Azure.Storage.Blobs.Models.BlobUploadOptions { Conditions = new() { IfNoneMatch = ETag.All } }, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412) { } // already made
        return _key = (await blob.DownloadContentAsync(ct)).Value.Content.ToString();
    }
}
