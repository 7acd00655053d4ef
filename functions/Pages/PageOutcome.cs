using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Pages;

/// <summary>A refusal from a service the API shares, in the words the API would have answered with.</summary>
public sealed record PageProblem(int Status, string Title, string Detail)
{
    /// <summary>Title and detail as one sentence or two, for the top of a page.</summary>
    public string Text => Detail.Length > 0 ? $"{Title}. {Detail}" : Title;
}

public static class PageOutcome
{
    /// <summary>The problem a service answered (its title, detail and fields' messages in the reader's language), or null when it succeeded.</summary>
    public static PageProblem? ProblemOf(IResult result) => result switch
    {
        ValidationProblem v => new PageProblem(v.StatusCode, Texts.ForReader(v.ProblemDetails.Title ?? "The request is not valid"),
            string.Join(" ", v.ProblemDetails.Errors.SelectMany(e => e.Value).Select(Texts.ForReader))),
        ProblemHttpResult p => new PageProblem(p.StatusCode, Texts.ForReader(p.ProblemDetails.Title ?? "The request is not valid"),
            p.ProblemDetails.Detail is { } detail ? Texts.ForReader(detail) : ""),
        IStatusCodeHttpResult { StatusCode: >= 400 and var status } => new PageProblem(status, Texts.ForReader("The request is not valid"), ""),
        _ => null,
    };
}
