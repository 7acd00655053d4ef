using Azure.Storage.Blobs;
using Matching.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace Matching.Pages;

public static class PagesModule
{
    /// <summary>What the pages need: anti-forgery tokens on every form, protected by keys every instance shares.</summary>
    public static IServiceCollection AddPages(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("matching");
        services.AddOptions<KeyManagementOptions>().Configure<BlobServiceClient>((o, blobs) =>
            o.XmlRepository = new BlobKeyRing(blobs.GetBlobContainerClient(StoredKey.Container)));
        services.AddAntiforgery(o =>
        {
            o.FormFieldName = "_form";
            o.Cookie.Name = "matching-form";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SuppressXFrameOptionsHeader = true; // the gate sends its own, stricter (DENY)
        });
        services.AddSingleton<Learner.LearnerHomeData>();
        return services;
    }
}
