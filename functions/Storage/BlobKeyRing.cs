using System.Xml.Linq;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Matching.Storage;

/// <summary>
/// The keys that protect the pages' anti-forgery tokens, kept as blobs so that every instance (and the next start) reads
/// the same ring: with keys per instance, a form rendered by one instance would be refused by another. The data-protection
/// system calls these synchronously and rarely: when the first page of an instance is rendered, and when a key is made
/// (every 90 days).
/// </summary>
public sealed class BlobKeyRing(BlobContainerClient container) : IXmlRepository
{
    public const string Container = "data-protection";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        container.CreateIfNotExists();
        var elements = new List<XElement>();
        foreach (var blob in container.GetBlobs())
        {
            using var stream = container.GetBlobClient(blob.Name).OpenRead();
            elements.Add(XElement.Load(stream));
        }
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        container.CreateIfNotExists();
        using var stream = new MemoryStream();
        element.Save(stream, SaveOptions.DisableFormatting);
        stream.Position = 0;
        // One blob per key, never overwritten: two instances making a key at once each keep theirs.
        try { container.GetBlobClient($"{friendlyName}.xml").Upload(stream, overwrite: false); }
        catch (RequestFailedException ex) when (ex.Status == 409) { }
    }
}
