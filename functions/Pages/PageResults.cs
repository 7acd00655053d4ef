using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Matching.Pages;

/// <summary>How a page function answers: a page rendered on the server, a redirect after a form, or a page that says what went wrong.</summary>
public static class PageResults
{
    public static IResult Show<TPage>(IDictionary<string, object>? parameters = null, int status = StatusCodes.Status200OK) where TPage : IComponent =>
        new PageResult(typeof(TPage), parameters, status);

    /// <summary>A page about a refusal or a failure, in the reader's language (the title and message are English texts).</summary>
    /// <remarks>It has no form, so it needs no anti-forgery token: it can say what went wrong when the keys are out of reach.</remarks>
    public static IResult Error(int status, string title, string message, (string Href, string Text)? next = null) =>
        new PageResult(typeof(ErrorPage), new Dictionary<string, object> { ["Title"] = Texts.ForReader(title), ["Message"] = Texts.ForReader(message), ["Next"] = next! },
            status, forms: false);

    /// <summary>A session's invitation (the API's answer) as a file to open in a calendar, or a page saying why there is none.</summary>
    public static IResult CalendarFile(HttpContext http, IResult invitation, (string Href, string Text) back)
    {
        if (PageOutcome.ProblemOf(invitation) is { } problem) return Error(problem.Status, problem.Title, problem.Detail, back);
        http.Response.Headers.ContentDisposition = "attachment; filename=\"rendez-vous.ics\"";
        return invitation;
    }

    /// <summary>After a form: the browser is sent to a page of the app (303, so that a reload does not post again).</summary>
    public static IResult SeeOther(string localPath)
    {
        if (!IsLocalPath(localPath)) throw new ArgumentException("Only a path of the app.", nameof(localPath));
        return new SeeOtherResult(localPath);
    }

    /// <summary>A path on this site, never another's (<c>//evil.example</c>, <c>/\evil</c> and absolute URLs are not).</summary>
    public static bool IsLocalPath(string? path) =>
        path is { Length: > 0 and <= 300 } && path[0] == '/' && (path.Length == 1 || path[1] is not ('/' or '\\')) && !path.Any(char.IsControl);

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status303SeeOther;
            http.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}

/// <summary>Renders a Razor component to HTML on the server (no circuit, no script needed) inside its context.</summary>
public sealed class PageResult(Type page, IDictionary<string, object>? parameters, int status, bool forms = true) : IResult
{
    /// <summary>The address a page stands for when the request's own must not be repeated in it (a learner's link holds a secret).</summary>
    public const string PathItem = "matching.page-path";

    public Type Page => page;

    public IDictionary<string, object>? Parameters => parameters;

    public int Status => status;

    public async Task ExecuteAsync(HttpContext http)
    {
        var tokens = forms ? http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http) : null;
        var path = http.Items[PathItem] as string ?? http.Request.Path + http.Request.QueryString;
        var context = new PageContext(Texts.Language, path, tokens?.FormFieldName ?? "", tokens?.RequestToken ?? "");
        await using var renderer = new HtmlRenderer(http.RequestServices, http.RequestServices.GetRequiredService<ILoggerFactory>());
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var root = ParameterView.FromDictionary(new Dictionary<string, object?> { ["Context"] = context, ["Page"] = page, ["Parameters"] = parameters });
            return (await renderer.RenderComponentAsync<PageRoot>(root)).ToHtmlString();
        });
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(html, http.RequestAborted);
    }
}
