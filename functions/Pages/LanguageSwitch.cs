using Matching.Security;

namespace Matching.Pages;

/// <summary>
/// The pages speak French unless the reader chose English with the switch at the top of every page: a link (it works
/// without script) that keeps the choice in a cookie for a year and goes back to the page the reader was on.
/// </summary>
public static class LanguageSwitch
{
    public const string Cookie = "matching-lang";

    /// <summary>The reader's language: their choice, else French (not the browser's: a phone set to Arabic or Dari is no reason for English).</summary>
    public static System.Globalization.CultureInfo Of(HttpContext http) =>
        http.Request.Cookies.TryGetValue(Cookie, out var chosen) && Texts.Languages.Contains(chosen) ? Texts.CultureOf(chosen) : Texts.French;

    [Function("SwitchLanguage"), Page(PageAccess.Anyone)]
    public static IResult Switch([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "language/{language}")] HttpRequest req, string language)
    {
        if (!Texts.Languages.Contains(language))
            return PageResults.Error(StatusCodes.Status404NotFound, "Not found", "This language is not offered.");
        req.HttpContext.Response.Cookies.Append(Cookie, language, new CookieOptions
        {
            HttpOnly = true, Secure = req.IsHttps, SameSite = SameSiteMode.Lax, Path = "/", MaxAge = TimeSpan.FromDays(365), IsEssential = true,
        });
        var back = req.Query["back"].ToString();
        return PageResults.SeeOther(PageResults.IsLocalPath(back) ? back : "/");
    }
}
