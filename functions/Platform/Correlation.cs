using System.Diagnostics;

namespace Matching.Platform;

/// <summary>
/// One correlation id per request: the caller's <c>X-Correlation-Id</c> when it is well-formed, otherwise
/// the trace id. It is echoed in the response, put in the log scope and in every ProblemDetails.
/// </summary>
public static class Correlation
{
    public const string HeaderName = "X-Correlation-Id";
    private const string ItemKey = "CorrelationId";

    public static string Get(HttpContext context) =>
        context.Items[ItemKey] as string ?? Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;

    /// <summary>Chooses the request's id (once), remembers it and echoes it.</summary>
    public static string Begin(HttpContext context)
    {
        if (context.Items[ItemKey] is string known) return known;
        var supplied = context.Request.Headers[HeaderName].ToString();
        var id = IsWellFormed(supplied) ? supplied : Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
        context.Items[ItemKey] = id;
        context.Response.Headers[HeaderName] = id;
        return id;
    }

    /// <summary>The local host's outer layer, so that answers from no function (404, 405) carry the id too.</summary>
    public static IApplicationBuilder UseCorrelation(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        Begin(context);
        await next(context);
    });

    private static bool IsWellFormed(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
