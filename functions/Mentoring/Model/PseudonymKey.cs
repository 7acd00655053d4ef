using Microsoft.Extensions.Options;
using Azure.Storage.Blobs;
using Matching.Storage;

namespace Matching.Mentoring;

/// <summary>
/// The key of the training export's pseudonyms: anyone holding it can link a pseudonym to an id, and rounds of
/// exports join up only while it stays the same. Mentoring:PseudonymKey overrides it.
/// </summary>
public sealed class PseudonymKey(BlobServiceClient blobs, StorageProvisioner provisioner, IOptions<MentoringOptions> options)
    : StoredKey(blobs, provisioner, "training-export-pseudonyms", options.Value.PseudonymKey);
