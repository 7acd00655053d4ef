using System.Diagnostics;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.Features;

namespace Matching.Hosting;

/// <summary>
/// What every HTTP function goes through, in both hosts (the local host's endpoint and the worker's middleware
/// call it): correlation id and request log, the body-size limit, the bearer token and the function's roles,
/// and every exception turned into a ProblemDetails (bad input 4xx, storage down 503 + Retry-After).
/// The function's answer is written here, so that both hosts answer byte for byte alike.
/// </summary>
public sealed class HttpFunctionGate(StorageProvisioner provisioner, IEnumerable<ICallerCheck> callerChecks, IMembershipResolver memberships,
    IAccessLinks accessLinks, PageGate pages, ILogger<HttpFunctionGate> logger, EarlyTelemetry? early = null)
{
    public async Task RunAsync(HttpContext context, HttpFunction function, Func<Task<IResult?>> invoke)
    {
        if (function.Page is { } access)
        {
            await pages.RunAsync(context, function, access, invoke);
            return;
        }
        var correlationId = Correlation.Begin(context);
        // Every text of the answer (problems, explanations, invitations, CSV headers) in the caller's language.
        System.Globalization.CultureInfo.CurrentUICulture = Texts.FromAcceptLanguage(context.Request.Headers.AcceptLanguage);
        context.Response.Headers.ContentLanguage = Texts.Language;
        // No content sniffing anywhere; nothing a caller was authorised to see is kept by a cache on the way.
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (!function.IsAnonymous) context.Response.Headers.CacheControl = "no-store";
        using var scope = logger.BeginScope(new LogScope(("CorrelationId", correlationId)));
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await CheckAsync(context, function)
                ?? await InvokeAsync(context, function, async () => await ResolveCallerAsync(context, function) ?? await CheckCallerAsync(context, function) ?? await invoke());
            if (result is not null) await result.ExecuteAsync(context);
        }
        finally
        {
            // The route template, never the raw path or query: those can carry identifiers or search terms.
            var route = $"/{function.Route}";
            logger.LogInformation("{Method} {Route} answered {Status} in {ElapsedMs:0.0} ms", context.Request.Method,
                route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            early?.DescribeRequest(context, route);
        }
    }

    private static async Task<IResult?> CheckAsync(HttpContext context, HttpFunction function)
    {
        var limit = function.BodyLimitBytes;
        if (context.Request.ContentLength > limit)
            return Problems.Result(StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, "The request body is too large",
                Texts.Format("The limit for this endpoint is {0} bytes.", limit));
        // Chunked bodies have no Content-Length: the server enforces the limit while the body is read.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;

        if (function.IsAnonymous) return null;
        if (AccessLinkOf(context) is not null) return null; // not a JSON Web Token: resolved with the caller, below
        var authenticated = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (authenticated.Succeeded) context.User = authenticated.Principal;
        if (!authenticated.Succeeded || context.User.Identity?.IsAuthenticated != true)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Result(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "Authentication is required",
                "Send a valid bearer token.");
        }
        return null;
    }

    /// <summary>
    /// Who is calling, in which role and organisation: a development token says so in its claims (local tools only: it is
    /// refused on Azure); any other token's person is resolved through their memberships. Then the function's roles.
    /// Inside the exception mapping, so that storage down is a 503 here too.
    /// </summary>
    private async Task<IResult?> ResolveCallerAsync(HttpContext context, HttpFunction function)
    {
        if (function.IsAnonymous) return null;
        var link = AccessLinkOf(context);
        if (link is not null)
        {
            if (await accessLinks.ResolveAsync(link, context.RequestAborted) is not { } learner)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return Problems.Result(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "Authentication is required",
                    "The access link is unknown, expired or revoked: ask your association for a new one.");
            }
            if (!function.AllowsAccessLink)
                return Problems.Result(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden",
                    "An access link shows the learner's matches and sessions and answers check-ins, nothing else.");
            context.User = learner.ToPrincipal("access-link");
        }
        else if (function.SignedInOnly) return null;
        var caller = link is not null || context.User.FindFirst("iss")?.Value == AuthSetup.DevelopmentIssuer ? Caller.From(context.User) : null;
        if (caller is null)
        {
            var header = context.Request.Headers.TryGetValue(Organisations.MembershipResolver.OrganisationHeader, out var h) ? h.ToString() : null;
            var (resolved, status, why) = await memberships.ResolveAsync(context.User, header, context.RequestAborted);
            if (resolved is null)
            {
                if (status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
                return Problems.Result(status, ProblemTypes.ForStatus(status), status switch
                {
                    StatusCodes.Status401Unauthorized => "Authentication is required",
                    StatusCodes.Status403Forbidden => "Forbidden",
                    _ => "The organisation is not named",
                }, why);
            }
            caller = resolved;
            // From here on the endpoints read the caller as they read a development token's: from these claims only.
            context.User = caller.ToPrincipal("membership", context.User.FindAll(c => c.Type is "iss" or "iat"));
        }
        if (!function.Roles.Contains(caller.Role))
            return Problems.Result(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden",
                Texts.Format("The {0} role may not call this endpoint.", caller.Role.ToString().ToLowerInvariant()));
        return null;
    }

    private static string? AccessLinkOf(HttpContext context) =>
        context.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer " + IAccessLinks.Prefix, StringComparison.Ordinal)
            ? header["Bearer ".Length..].Trim() : null;

    /// <summary>What the token cannot say: the person it names may have been erased since (401, sign in again).
    /// Inside the exception mapping, so that storage down is a 503 here too.</summary>
    private async Task<IResult?> CheckCallerAsync(HttpContext context, HttpFunction function)
    {
        if (function.IsAnonymous || function.SignedInOnly || Caller.From(context.User) is not { } caller) return null;
        var issuedAt = TokenTimes.IssuedAt(context.User);
        foreach (var check in callerChecks)
            if (await check.RefusalAsync(caller, issuedAt, context.RequestAborted) is { } why)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                return Problems.Result(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "Authentication is required", why);
            }
        return null;
    }

    private async Task<IResult?> InvokeAsync(HttpContext context, HttpFunction function, Func<Task<IResult?>> invoke)
    {
        try
        {
            return await invoke();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return null; // the caller went away: nobody to answer
        }
        catch (Exception exception)
        {
            if (StorageFailure.IsMissingResource(exception)) provisioner.Invalidate();
            var (status, problem) = ProblemExceptionHandler.Map(exception);
            if (status == StatusCodes.Status503ServiceUnavailable)
                logger.LogWarning("Storage unavailable: {Error}", exception.Message);
            else if (status >= 500)
                // Type, stack and a storage error's code only: an exception message can quote request data.
                logger.LogError("Unhandled {ErrorType}{StorageError} in {FunctionName} at {StackTrace}", exception.GetType().FullName,
                    exception is Azure.RequestFailedException storage ? $" (storage answered {storage.Status} {storage.ErrorCode})" : "", function.Name, exception.StackTrace);
            return TypedResults.Problem(problem);
        }
    }
}
