using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;

namespace Matching.Storage;

/// <summary>
/// A key the app keeps for itself (to key pseudonyms, to sign links). It must stay secret and stable without
/// becoming a secret to deploy: the app makes a random one on first use and keeps it in its own private storage,
/// which only its identity reads. A setting overrides it.
/// </summary>
public abstract class StoredKey(BlobServiceClient blobs, StorageProvisioner provisioner, string blobName, string? configured)
{
    public const string Container = "keys";
    private string? _key;

    public async Task<string> GetAsync(CancellationToken ct)
    {
        if (_key is not null) return _key;
        if (configured is { Length: > 0 }) return _key = configured;
        await provisioner.EnsureReadyAsync(ct);
        var blob = blobs.GetBlobContainerClient(Container).GetBlobClient(blobName);
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
