using System.Security.Cryptography;
using Matching.Security;

namespace Matching.Pages;

/// <summary>
/// The pages' one small stylesheet (Pages/Assets/matching.css, in the assembly). Its address carries a hash of its
/// content, so a browser keeps it for a year and a new version is fetched at once.
/// </summary>
public sealed class Stylesheet
{
    private static readonly Lazy<(byte[] Bytes, string Version)> Content = new(() =>
    {
        using var stream = typeof(Stylesheet).Assembly.GetManifestResourceStream("Matching.Pages.matching.css")
            ?? throw new InvalidOperationException("The stylesheet is not in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        return (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes))[..12]);
    });

    public static string Href => $"/assets/matching.css?v={Content.Value.Version}";

    [Function("PageStylesheet"), Page(PageAccess.Anyone)]
    public static IResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "assets/matching.css")] HttpRequest req)
    {
        req.HttpContext.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return Results.Bytes(Content.Value.Bytes, "text/css; charset=utf-8");
    }
}
