using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Matching.Platform;

/// <summary>
/// Reads a function's JSON body with the app's strict options (unknown fields, missing required fields and
/// wrong types are 400s naming the field; see <see cref="ProblemExceptionHandler"/>). Both hosts read it alike.
/// </summary>
public static class RequestBody
{
    public static async Task<T> ReadJsonAsync<T>(this HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
            throw new BadHttpRequestException($"Expected a JSON body (Content-Type: application/json).", StatusCodes.Status415UnsupportedMediaType);
        if (request.ContentLength == 0) throw NoBody();
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        return await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken) ?? throw NoBody();
    }

    private static BadHttpRequestException NoBody() => new("A JSON body is required but no body was provided.", StatusCodes.Status400BadRequest);
}
