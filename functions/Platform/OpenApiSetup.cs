using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Matching.Platform;

/// <summary>The OpenAPI document at /api/openapi/v1.json and the browsable reference at /api/docs.</summary>
public static class OpenApiSetup
{
    public static IServiceCollection AddMatchingOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Matching API",
                    Version = "v1",
                    Description = "Solidarity training seats and mentoring matches for inclusion NGOs. Errors are RFC 9457 problem details.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
                    Description = "A token with sub, role (provider, ngo, mentor, learner, admin) and org claims.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                var anonymous = metadata.OfType<IAllowAnonymous>().Any();
                if (anonymous || !metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<AuthorizationPolicy>().Any()) return Task.CompletedTask;
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", context.Document)] = [] });
                operation.Responses ??= new OpenApiResponses();
                operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No valid bearer token." });
                operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The caller's role may not call this endpoint." });
                return Task.CompletedTask;
            });
        });

    /// <summary>The reference page maps its page and its scripts; each becomes a named HTTP function.</summary>
    private static string ApiReferenceName(EndpointBuilder endpoint)
    {
        var route = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? "";
        var last = route.TrimEnd('/').Split('/')[^1];
        var suffix = last.StartsWith('{') ? "" : string.Concat(last.Split('.', '-', '_').Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
        return "GetApiReference" + suffix;
    }

    public static void MapMatchingOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/api/openapi/{documentName}.json").WithName("GetOpenApiDocument").AllowAnonymous();
        app.MapScalarApiReference("/api/docs", o => o
                .WithTitle("Matching API")
                .WithOpenApiRoutePattern("/api/openapi/{documentName}.json"))
            .AllowAnonymous()
            .Add(endpoint => endpoint.Metadata.Add(new EndpointNameMetadata(ApiReferenceName(endpoint))));
    }
}
