using System.Net;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// A person's browser without script: it keeps cookies, does not follow redirects (the tests look at each), reads each
/// page as HTML, and posts a page's forms with what the page gave them (its anti-forgery field included).
/// </summary>
public sealed class PageClient(MatchingApp app)
{
    public HttpClient Http { get; } = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public sealed record Page(HttpResponseMessage Response, IDocument Document)
    {
        public HttpStatusCode Status => Response.StatusCode;

        /// <summary>The page's text as a person reads it, spaces collapsed.</summary>
        public string Text => System.Text.RegularExpressions.Regex.Replace(Document.Body?.TextContent ?? "", @"\s+", " ").Trim();

        /// <summary>The form that posts to <paramref name="action"/>.</summary>
        public IElement Form(string action) => Document.QuerySelectorAll("form").FirstOrDefault(f => f.GetAttribute("action") == action)
            ?? throw new Xunit.Sdk.XunitException($"No form posts to {action}; the page has: {string.Join(", ", Document.QuerySelectorAll("form").Select(f => f.GetAttribute("action")))}");
    }

    public async Task<Page> GetAsync(string path) => await ReadAsync(await Http.GetAsync(path));

    /// <summary>Submits the page's form that posts to <paramref name="action"/>, with its hidden fields and the pressed button's value.</summary>
    public async Task<Page> SubmitAsync(Page page, string action, params (string Name, string Value)[] fields)
    {
        var form = page.Form(action);
        var values = form.QuerySelectorAll("input[type=hidden]").Select(i => (i.GetAttribute("name")!, i.GetAttribute("value") ?? "")).Concat(fields).ToList();
        return await PostAsync(action, values.ToArray());
    }

    /// <summary>
    /// Sends the form that posts to <paramref name="action"/> as a browser would, with what it holds now (text, ticked
    /// boxes, chosen options), except the named fields: each name given replaces every value of that name.
    /// </summary>
    public async Task<Page> SendAsync(Page page, string action, params (string Name, string Value)[] changes)
    {
        var form = page.Form(action);
        var values = new List<(string Name, string Value)>();
        foreach (var element in form.QuerySelectorAll("input[name], select[name], textarea[name]"))
        {
            var name = element.GetAttribute("name")!;
            switch (element.LocalName, element.GetAttribute("type"))
            {
                case ("input", "checkbox" or "radio"):
                    if (element.HasAttribute("checked")) values.Add((name, element.GetAttribute("value") ?? "on"));
                    break;
                case ("input", "submit"):
                    break;
                case ("input", _):
                    values.Add((name, element.GetAttribute("value") ?? ""));
                    break;
                case ("select", _):
                    var chosen = element.QuerySelector("option[selected]") ?? element.QuerySelector("option");
                    if (chosen is not null) values.Add((name, chosen.GetAttribute("value") ?? chosen.TextContent));
                    break;
                default:
                    values.Add((name, element.TextContent));
                    break;
            }
        }
        var changed = changes.Select(c => c.Name).ToHashSet();
        return await PostAsync(action, [.. values.Where(v => !changed.Contains(v.Name)), .. changes]);
    }

    public async Task<Page> PostAsync(string action, params (string Name, string Value)[] fields) =>
        await ReadAsync(await Http.PostAsync(action, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)))));

    private static async Task<Page> ReadAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        return new Page(response, new HtmlParser().ParseDocument(html));
    }
}
