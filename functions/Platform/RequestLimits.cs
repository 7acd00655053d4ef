using Microsoft.AspNetCore.Http.Features;

namespace Matching.Platform;

/// <summary>A request-body limit for every endpoint; an endpoint that needs more declares it (e.g. uploads).</summary>
public sealed record BodySizeLimit(long Bytes);

public static class RequestLimits
{
    public const long DefaultBodyBytes = 256 * 1024;

    /// <summary>Runs after routing so that an endpoint's own <see cref="BodySizeLimit"/> is known.</summary>
    public static IApplicationBuilder UseBodySizeLimit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodySizeLimit>()?.Bytes ?? DefaultBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await Problems.Result(413, ProblemTypes.PayloadTooLarge, "The request body is too large",
                $"The limit for this endpoint is {limit} bytes.").ExecuteAsync(context);
            return;
        }
        // Chunked bodies have no Content-Length: Kestrel enforces the limit while reading.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit;
        await next(context);
    });
}
