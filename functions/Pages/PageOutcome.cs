using Microsoft.AspNetCore.Http.HttpResults;

namespace Matching.Pages;

/// <summary>A refusal from a service the API shares, in the words the API would have answered with.</summary>
/// <param name="Fields">The rule's message for each field it names (<c>capacity</c>, <c>languages[0].level</c>), to show beside it.</param>
public sealed record PageProblem(int Status, string Title, string Detail, IReadOnlyDictionary<string, string[]>? Fields = null)
{
    /// <summary>The messages for a form field: those naming it, or a part of it (<c>availability</c> holds <c>availability.slots</c>).</summary>
    public IReadOnlyList<string> For(string field) => Fields is null ? [] :
        Fields.Where(f => f.Key == field || f.Key.StartsWith(field + ".", StringComparison.Ordinal) || f.Key.StartsWith(field + "[", StringComparison.Ordinal))
            .SelectMany(f => f.Value).Distinct().ToList();

    /// <summary>Title and detail as one sentence or two, for the top of a page.</summary>
    public string Text => Detail.Length > 0 ? $"{Title}. {Detail}" : Title;
}

public static class PageOutcome
{
    /// <summary>The problem a service answered (its title, detail and fields' messages in the reader's language), or null when it succeeded.</summary>
    public static PageProblem? ProblemOf(IResult result) => result switch
    {
        ValidationProblem v => new PageProblem(v.StatusCode, Texts.ForReader(v.ProblemDetails.Title ?? "The request is not valid"),
            string.Join(" ", v.ProblemDetails.Errors.SelectMany(e => e.Value).Select(Texts.ForReader)),
            v.ProblemDetails.Errors.ToDictionary(e => e.Key, e => e.Value.Select(Texts.ForReader).ToArray())),
        ProblemHttpResult p => new PageProblem(p.StatusCode, Texts.ForReader(p.ProblemDetails.Title ?? "The request is not valid"),
            p.ProblemDetails.Detail is { } detail ? Texts.ForReader(detail) : ""),
        IStatusCodeHttpResult { StatusCode: >= 400 and var status } => new PageProblem(status, Texts.ForReader("The request is not valid"), ""),
        _ => null,
    };
}
