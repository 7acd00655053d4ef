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
        services.AddBlobContainer(BlobKeyRing.Container);
        services.AddDataProtection().SetApplicationName("matching");
        services.AddOptions<KeyManagementOptions>().Configure<BlobServiceClient>((o, blobs) =>
            o.XmlRepository = new BlobKeyRing(blobs.GetBlobContainerClient(BlobKeyRing.Container)));
        // The framework reads the key ring at start (a hosted service, synchronous storage calls on a cold start's path):
        // here it is read when the first page needs it.
        foreach (var primer in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DataProtectionHostedService").ToList())
            services.Remove(primer);
        services.AddAntiforgery(o =>
        {
            o.FormFieldName = "_form";
            o.Cookie.Name = "matching-form";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SuppressXFrameOptionsHeader = true; // the gate sends its own, stricter (DENY)
        });
        // French as it is written (é, not &#xE9;): smaller pages, and text a person can read in the source.
        services.AddSingleton(System.Text.Encodings.Web.HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All));
        services.AddSingleton<Learner.LearnerHomeData>().AddSingleton<Security.LearnerLinks>();
        return services;
    }
}
