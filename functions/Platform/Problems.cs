using System.Text.Json;
using Matching.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Matching.Platform;

/// <summary>Stable problem <c>type</c> values (RFC 9457); clients switch on these, never on titles. See docs/problems.md.</summary>
public static class ProblemTypes
{
    private const string Prefix = "urn:matching:problem:";
    public const string Validation = Prefix + "validation";
    public const string InvalidJson = Prefix + "invalid-json";
    public const string PayloadTooLarge = Prefix + "payload-too-large";
    public const string Unauthenticated = Prefix + "unauthenticated";
    public const string Forbidden = Prefix + "forbidden";
    public const string NotFound = Prefix + "not-found";
    public const string MethodNotAllowed = Prefix + "method-not-allowed";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string Conflict = Prefix + "conflict";
    public const string Gone = Prefix + "gone";
    public const string ProgrammeUnavailable = Prefix + "programme-unavailable";
    public const string RateLimited = Prefix + "rate-limited";
    public const string IdempotencyKeyReused = Prefix + "idempotency-key-reused";
    public const string InvalidLheo = Prefix + "invalid-lheo";
    public const string StorageUnavailable = Prefix + "storage-unavailable";
    public const string InvalidInvocation = Prefix + "invalid-invocation";
    public const string FunctionFailed = Prefix + "function-failed";
    public const string Internal = Prefix + "internal";
    public const string BadRequest = Prefix + "bad-request";

    public static string ForStatus(int status) => status switch
    {
        400 => BadRequest,
        401 => Unauthenticated,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        410 => Gone,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        422 => IdempotencyKeyReused,
        503 => StorageUnavailable,
        _ => Internal,
    };
}

public static class Problems
{
    public const int RetryAfterSeconds = 5;

    public static IResult Result(int status, string type, string title, string? detail = null) =>
        TypedResults.Problem(new ProblemDetails { Status = status, Type = type, Title = title, Detail = detail });

    public static IResult NotFound(string what) =>
        Result(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", Texts.Format("{0} was not found.", what));

    public static IResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is not valid", type: ProblemTypes.Validation);

    /// <summary>Adds what every problem carries: a type for its status and the correlation id; its texts in the caller's language.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        // A problem written before the gate chose the language (an unknown route, say) or after a handler cleared the headers.
        if (Microsoft.Extensions.Primitives.StringValues.IsNullOrEmpty(context.HttpContext.Response.Headers.ContentLanguage))
        {
            System.Globalization.CultureInfo.CurrentUICulture = Texts.FromAcceptLanguage(context.HttpContext.Request.Headers.AcceptLanguage);
            context.HttpContext.Response.Headers.ContentLanguage = Texts.Language;
        }
        // One place for every problem's words: titles, details and fields' messages are looked up in the texts. The
        // framework's own titles are reason phrases ("Not Found"); the texts write titles in sentence case ("Not found").
        if (problem.Title is { Length: > 1 } title && title == Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status))
            problem.Title = title[..1] + title[1..].ToLowerInvariant();
        problem.Title = problem.Title is null ? null : Texts.ForReader(problem.Title);
        problem.Detail = problem.Detail is null ? null : Texts.ForReader(problem.Detail);
        if (problem is HttpValidationProblemDetails validation)
            foreach (var key in validation.Errors.Keys.ToList()) validation.Errors[key] = validation.Errors[key].Select(Texts.ForReader).ToArray();
        if (string.IsNullOrEmpty(problem.Type) || problem.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
            problem.Type = ProblemTypes.ForStatus(status);
        problem.Extensions.Remove("traceId");
        var correlationId = Correlation.Get(context.HttpContext);
        problem.Extensions["correlationId"] = correlationId;
        // The exception handler clears headers before writing the problem: put the id back.
        context.HttpContext.Response.Headers[Correlation.HeaderName] = correlationId;
        if (status == StatusCodes.Status503ServiceUnavailable)
            context.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Turns every exception into a ProblemDetails: bad input is a 4xx naming the problem, storage down a 503.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, StorageProvisioner provisioner,
    ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (StorageFailure.IsMissingResource(exception)) provisioner.Invalidate();
        var (status, problem) = Map(exception);
        if (status >= 500 && status != StatusCodes.Status503ServiceUnavailable)
            // Type and stack only: an exception message can quote request data.
            logger.LogError("Unhandled {ErrorType} on {Method} {Route} at {StackTrace}", exception.GetType().FullName, context.Request.Method,
                (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText, exception.StackTrace);
        else if (status == StatusCodes.Status503ServiceUnavailable)
            logger.LogWarning("Storage unavailable: {Error}", exception.Message);
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    internal static (int Status, ProblemDetails Problem) Map(Exception exception)
    {
        if (StorageFailure.IsUnavailable(exception))
            return (503, new ProblemDetails
            {
                Status = 503, Type = ProblemTypes.StorageUnavailable, Title = "Storage is unavailable",
                Detail = Texts.Format("Nothing was changed. Retry in {0} seconds.", Problems.RetryAfterSeconds),
            });

        if (Contention.IsLostRace(exception))
            return (409, new ProblemDetails
            {
                Status = 409, Type = ProblemTypes.Conflict, Title = "The resource changed meanwhile",
                Detail = "Another change to it was written first. Read it again and retry.",
            });

        var json = FindInner<JsonException>(exception);
        if (exception is BadHttpRequestException { StatusCode: 413 })
            return (413, new ProblemDetails { Status = 413, Type = ProblemTypes.PayloadTooLarge, Title = "The request body is too large" });
        if (json is not null) return (400, FromJson(json));
        if (exception is BadHttpRequestException bad)
            return (bad.StatusCode, new ProblemDetails
            {
                Status = bad.StatusCode, Type = ProblemTypes.ForStatus(bad.StatusCode),
                Title = bad.StatusCode == 415 ? "Unsupported media type" : "Bad request",
                Detail = bad.Message.Contains("no body was provided", StringComparison.Ordinal) ? "A JSON request body is required." : bad.Message,
            });
        return (500, new ProblemDetails { Status = 500, Type = ProblemTypes.Internal, Title = "An unexpected error occurred" });
    }

    /// <summary>Names the field and the problem without echoing values or internal type names.</summary>
    private static ProblemDetails FromJson(JsonException json)
    {
        var field = FieldName(json.Path);
        // The serializer wraps the reader's own exception when the text itself is not JSON.
        if (json.InnerException is JsonException)
            return new ProblemDetails
            {
                Status = 400, Type = ProblemTypes.InvalidJson, Title = "The request body is not valid JSON",
                Detail = Texts.Format("Malformed JSON near line {0}, byte {1}.", (json.LineNumber ?? 0) + 1, (json.BytePositionInLine ?? 0) + 1),
            };
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (json.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            errors[field ?? "$"] = ["Is not a known field."];
        }
        else if (json.Message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var names = json.Message[json.Message.IndexOf("including:", StringComparison.Ordinal)..].Split('\'')
                .Where((_, i) => i % 2 == 1);
            foreach (var name in names) errors[Join(field, name)] = ["Is required."];
        }
        else
        {
            errors[field ?? "$"] = ["Has the wrong type or format."];
        }
        if (errors.Count == 0) errors[field ?? "$"] = ["Is not valid."];
        return new HttpValidationProblemDetails(errors) { Status = 400, Type = ProblemTypes.Validation, Title = "The request is not valid" };
    }

    private static string Join(string? parent, string name) => parent is null ? name : parent + "." + name;

    /// <summary>"$.claim.seats" becomes "claim.seats"; the root ("$") names no field.</summary>
    private static string? FieldName(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return null;
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return string.IsNullOrEmpty(field) ? null : field;
    }

    private static T? FindInner<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T t) return t;
        return null;
    }
}
