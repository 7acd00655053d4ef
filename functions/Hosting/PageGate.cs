using System.Diagnostics;
using System.Globalization;
using Matching.Pages;
using Matching.Platform;
using Matching.Security;
using Matching.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;

namespace Matching.Hosting;

/// <summary>
/// What every page goes through, in both hosts (the HTTP gate hands pages here): the reader's language, headers that keep
/// a page out of caches, frames, search engines and other sites' referrers, the anti-forgery token of every form, the
/// caller from the session cookie, and every refusal or failure answered with a page in the reader's language (storage
/// down: 503 with Retry-After, as the API).
/// </summary>
public sealed class PageGate(StorageProvisioner provisioner, LearnerLinks learnerLinks, IMembershipResolver memberships, IEnumerable<ICallerCheck> callerChecks,
    IAntiforgery antiforgery,
    TimeProvider time, ILogger<PageGate> logger, EarlyTelemetry? early = null)
{
    /// <summary>Only the app's own stylesheet (inline, by its hash), images inline or its own, forms posted to itself, never framed, no script yet.</summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src {Stylesheet.CspSource}; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public async Task RunAsync(HttpContext context, HttpFunction function, PageAccess access, Func<Task<IResult?>> invoke)
    {
        var correlationId = Correlation.Begin(context);
        var culture = LanguageSwitch.Of(context);
        CultureInfo.CurrentUICulture = culture;
        CultureInfo.CurrentCulture = culture; // dates and times in words, as the reader says them
        var headers = context.Response.Headers;
        headers.ContentLanguage = culture.TwoLetterISOLanguageName;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer"; // a learner's link never leaves in a Referer
        headers["X-Robots-Tag"] = "noindex, nofollow";
        using var scope = logger.BeginScope(new LogScope(("CorrelationId", correlationId)));
        // A page shown (GET) reads what the session check read already from memory: one storage call fewer.
        using var memo = HttpMethods.IsGet(context.Request.Method) ? RequestMemo.Begin() : null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            IResult? result;
            // The caller before the form: a page's token is bound to the person it was given to.
            try
            {
                result = CheckBody(context, function)
                    ?? (access is PageAccess.SignedIn or PageAccess.Member ? await ResolvePersonAsync(context, function, access) : await ResolveCallerAsync(context, access))
                    ?? await CheckFormAsync(context) ?? await invoke();
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { result = null; } // nobody to answer
            catch (Exception exception) { result = Failure(function, exception, context); }
            try
            {
                if (result is not null) await result.ExecuteAsync(context);
            }
            catch (Exception exception) when (exception is not OperationCanceledException && !context.Response.HasStarted)
            {
                // Rendering failed (the anti-forgery keys out of reach, say): a page that says so, which needs no keys.
                context.Response.Headers.Remove("Set-Cookie");
                await Failure(function, exception, context).ExecuteAsync(context);
            }
        }
        finally
        {
            // The route template, never the path: a learner's link is in it.
            logger.LogInformation("{Method} /{Route} answered {Status} in {ElapsedMs:0.0} ms", context.Request.Method,
                function.Route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            early?.DescribeRequest(context, "/" + function.Route);
        }
    }

    private static IResult? CheckBody(HttpContext context, HttpFunction function)
    {
        if (context.Request.ContentLength > function.BodyLimitBytes)
            return PageResults.Error(StatusCodes.Status413PayloadTooLarge, "The request body is too large", "Go back and send less.");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = function.BodyLimitBytes;
        return null;
    }

    /// <summary>Every form posted to a page carries the token its page gave (a cookie and a field that must agree).</summary>
    private async Task<IResult?> CheckFormAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)) return null;
        if (!context.Request.HasFormContentType)
            return PageResults.Error(StatusCodes.Status415UnsupportedMediaType, "The request is not valid", "Send the page's form.");
        try
        {
            await antiforgery.ValidateRequestAsync(context);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return PageResults.Error(StatusCodes.Status400BadRequest, "The form has expired",
                "Go back, reload the page, then try again.", ("/", Words.T("Home")));
        }
    }

    /// <summary>The learner of a link session: the link in the cookie must still be valid (revoked, expired or erased: no session).</summary>
    private async Task<IResult?> ResolveCallerAsync(HttpContext context, PageAccess access)
    {
        if (access == PageAccess.Anyone) return null;
        var session = LinkSession.Read(context);
        var learner = session is not { } s ? null : await learnerLinks.ResolveAsync(s.Link, context.RequestAborted, s.Hint);
        if (learner is null)
        {
            if (session is not null) LinkSession.Clear(context);
            return PageResults.Error(StatusCodes.Status401Unauthorized, "Your link does not work",
                "Open the link your association sent you. If it still does not work, ask them for a new link.");
        }
        LinkSession.Write(context, session!.Value.Link, learner, time.GetUtcNow()); // each page seen keeps the session going
        context.User = learner.ToPrincipal(LinkSession.How);
        return null;
    }

    /// <summary>
    /// A signed-in person (the session cookie): without one, a page they open sends them to sign in and back to it. A member's
    /// page also needs a membership in a role it serves, resolved as the API resolves a token's person (the organisation they
    /// chose when they have several), and the same caller checks (an erased person has no session).
    /// </summary>
    private async Task<IResult?> ResolvePersonAsync(HttpContext context, HttpFunction function, PageAccess access)
    {
        var session = await context.AuthenticateAsync(PageSessions.CookieScheme);
        if (!session.Succeeded || session.Principal is null)
        {
            var here = context.Request.Path + context.Request.QueryString;
            return HttpMethods.IsGet(context.Request.Method)
                ? PageResults.SeeOther($"/signin?back={Uri.EscapeDataString(here)}")
                : PageResults.Error(StatusCodes.Status401Unauthorized, "Please sign in", "Your session has ended: sign in again.", ("/signin", Words.T("Sign in")));
        }
        context.User = session.Principal;
        if (access == PageAccess.SignedIn) return null;
        var chosen = context.Request.Cookies.TryGetValue(PageSessions.OrganisationCookie, out var org) && Caller.IsOrganisationId(org) ? org : null;
        var (caller, status, why) = await memberships.ResolveAsync(session.Principal, chosen, context.RequestAborted);
        if (caller is null && chosen is not null) (caller, status, why) = await memberships.ResolveAsync(session.Principal, null, context.RequestAborted);
        // Not a member yet, or of several without a choice: their own page says which organisations they belong to and
        // lets them choose (the resolver's words speak of the API's header and endpoints).
        if (caller is null)
            return HttpMethods.IsGet(context.Request.Method) && status != StatusCodes.Status401Unauthorized
                ? PageResults.SeeOther("/moi")
                : PageResults.Error(status == StatusCodes.Status401Unauthorized ? status : StatusCodes.Status403Forbidden, "This page is not for you yet",
                    "Open your account's page to see the organisations you belong to.", ("/moi", Words.T("My account")));
        foreach (var check in callerChecks)
            if (await check.RefusalAsync(caller, null, context.RequestAborted) is not null)
                return PageResults.Error(StatusCodes.Status401Unauthorized, "Please sign in", "Your session has ended: sign in again.", ("/signin", Words.T("Sign in")));
        if (!function.Roles.Contains(caller.Role))
            return PageResults.Error(StatusCodes.Status403Forbidden, "This page is not for you",
                Texts.Format("The {0} role may not call this endpoint.", caller.Role.ToString().ToLowerInvariant()), ("/moi", Words.T("My account")));
        // From here on the page reads the caller as every endpoint does: from these claims only (with the person's own name
        // and address as the provider gave them, to greet them and fill in their first profile).
        context.User = caller.ToPrincipal("page-session", session.Principal.Claims.Where(c => c.Type is "name" or "email"));
        return null;
    }

    private IResult Failure(HttpFunction function, Exception exception, HttpContext context)
    {
        if (StorageFailure.IsMissingResource(exception)) provisioner.Invalidate();
        var (status, problem) = ProblemExceptionHandler.Map(exception);
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning("Storage unavailable: {Error}", exception.Message);
            context.Response.Headers.RetryAfter = Problems.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return PageResults.Error(status, "The service is busy", "Try again in a few seconds.");
        }
        if (status >= 500)
        {
            logger.LogError("Unhandled {ErrorType} in {FunctionName} at {StackTrace}", exception.GetType().FullName, function.Name, exception.StackTrace);
            return PageResults.Error(status, "Something went wrong", "Try again later. If it goes on, tell your association.");
        }
        return PageResults.Error(status, problem.Title ?? "The request is not valid", problem.Detail ?? "Go back and try again.");
    }
}
