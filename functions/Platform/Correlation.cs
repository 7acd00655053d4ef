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

    public static IApplicationBuilder UseCorrelationAndRequestLog(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var supplied = context.Request.Headers[HeaderName].ToString();
        var id = IsWellFormed(supplied) ? supplied : Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
        context.Items[ItemKey] = id;
        context.Response.Headers[HeaderName] = id;
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Matching.Requests");
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id });
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            // The route template, never the raw path or query: those can carry identifiers or search terms.
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
            logger.LogInformation("{Method} {Route} answered {Status} in {ElapsedMs:0.0} ms", context.Request.Method, route,
                context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    });

    private static bool IsWellFormed(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
