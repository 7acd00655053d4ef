using Matching.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.OpenApi;
using Microsoft.AspNetCore.OpenApi;

namespace Matching.Platform;

/// <summary>The OpenAPI document at /api/openapi/v1.json and the browsable reference at /api/docs.</summary>
public static class OpenApiSetup
{
    /// <summary>What a time of day looks like on the wire (TimeOnly reads both forms).</summary>
    public const string TimeOfDayPattern = "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$";

    public static IServiceCollection AddMatchingOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o =>
        {
            // Two types of one name would share one schema, and the document would describe one with the other's
            // members: refuse to build such a document (rename one type) rather than serve a wrong one.
            var named = new System.Collections.Concurrent.ConcurrentDictionary<string, Type>();
            o.CreateSchemaReferenceId = type =>
            {
                var id = OpenApiOptions.CreateDefaultSchemaReferenceId(type);
                if (id is null) return null;
                var owner = named.GetOrAdd(id, Nullable.GetUnderlyingType(type.Type) ?? type.Type);
                return owner == (Nullable.GetUnderlyingType(type.Type) ?? type.Type) ? id
                    : throw new InvalidOperationException($"Two API types are named {id}: {owner.FullName} and {type.Type.FullName}. Rename one.");
            };
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Matching API",
                    Version = "v1",
                    Description = "Solidarity training seats and mentoring matches for inclusion NGOs. Errors are RFC 9457 problem details.",
                };
                document.Info.License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" };
                // Relative to where the document was fetched from, never the request's Host header (which a client chooses).
                document.Servers = [new OpenApiServer { Url = "/" }];
                var descriptions = new Dictionary<string, string>
                {
                    ["Offers"] = "Solidarity offers: training providers publish free seats; NGOs browse them.",
                    ["Claims"] = "NGOs claim seats for their learners; idempotent, never oversold.",
                    ["Learners"] = "The learners an NGO follows, kept minimal; access to and erasure of their data.",
                    ["Mentoring"] = "Mentor requests, proposals, offers, matches, sessions, check-ins, follow-up and programmes.",
                    ["Reports"] = "Impact reports for NGOs, programmes and providers, as JSON or CSV.",
                    ["Diagnostics"] = "Diagnostic pings through the asynchronous path.",
                    ["Platform"] = "Health of the service and its storage.",
                };
                document.Tags = new HashSet<OpenApiTag>((document.Tags ?? new HashSet<OpenApiTag>()).Select(t =>
                    new OpenApiTag { Name = t.Name, Description = t.Description ?? descriptions.GetValueOrDefault(t.Name ?? "", t.Name ?? "") }));
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
                    Description = "A token with sub, role (provider, ngo, mentor, learner, admin) and org claims.",
                };
                return Task.CompletedTask;
            });
            // Problems carry extension members (correlationId always; errors, currentStatus, problems on some):
            // the document must not forbid them, or clients generated from it reject every problem.
            o.AddSchemaTransformer((schema, context, _) =>
            {
                // A nullable enum's shared schema lists null among its values, and the property that refers to it
                // already says oneOf [null, the enum]: null would match both branches. Null belongs to the property.
                if (schema.Enum is { } values && values.Any(v => v is null)) schema.Enum = values.Where(v => v is not null).ToList();
                // Say what is sent (issue 29, items 14-15): a time of day is "18:00:00", local to its availability's zone,
                // which RFC 3339's "time" format (it carries an offset) does not allow; a date-time node had no type.
                var clr = context.JsonTypeInfo.Type;
                var nullable = Nullable.GetUnderlyingType(clr) is not null;
                if ((Nullable.GetUnderlyingType(clr) ?? clr) == typeof(TimeOnly))
                {
                    schema.Format = null;
                    schema.Type = JsonSchemaType.String | (nullable ? JsonSchemaType.Null : 0);
                    schema.Pattern = TimeOfDayPattern;
                    schema.Description ??= "A local time of day, HH:mm:ss (or HH:mm), in the zone of the availability it belongs to.";
                }
                else if (schema.Format is "date-time" or "date" && schema.Type is null)
                    schema.Type = JsonSchemaType.String | (nullable ? JsonSchemaType.Null : 0);
                if (typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type) && schema.Properties is not null)
                {
                    schema.AdditionalPropertiesAllowed = true;
                    schema.AdditionalProperties = null;
                    schema.Properties["correlationId"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String, Description = "Also in the X-Correlation-Id header; quote it when reporting a problem.",
                    };
                }
                return Task.CompletedTask;
            });
            o.AddOperationTransformer(async (operation, context, ct) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<AcceptsBodyAttribute>().FirstOrDefault() is { } accepts)
                {
                    var schema = await context.GetOrCreateSchemaAsync(accepts.RequestType, null, ct);
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = accepts.Required,
                        Content = accepts.ContentTypes.ToDictionary(c => c, _ => new OpenApiMediaType { Schema = schema }),
                    };
                }
                // Route values are the functions' string parameters: always required, always strings.
                foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(context.Description.RelativePath ?? "", "{([A-Za-z]+)}"))
                {
                    operation.Parameters ??= [];
                    if (operation.Parameters.Any(p => p.Name == m.Groups[1].Value)) continue;
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = m.Groups[1].Value, In = ParameterLocation.Path, Required = true,
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                }
                foreach (var header in metadata.OfType<HeaderParameterAttribute>())
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = header.Name, In = ParameterLocation.Header, Required = header.Required, Description = header.Description,
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String, MinLength = header.Required ? 1 : null, MaxLength = header.MaxLength > 0 ? header.MaxLength : null,
                            Pattern = header.Pattern,
                        },
                    });
                }
                foreach (var query in metadata.OfType<QueryParameterAttribute>())
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = query.Name, In = ParameterLocation.Query, Description = query.Description, Required = query.Required, Schema = query.Schema(),
                    });
                }
                // What every function can answer besides its own statuses, each as a problem document: the gate's
                // 401/403 and 413, the body reader's 415, and 503 when storage does not answer.
                var problem = await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), null, ct);
                OpenApiResponse Problem(string description) => new()
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
                };
                operation.Responses ??= new OpenApiResponses();
                if (metadata.OfType<AcceptsBodyAttribute>().Any())
                {
                    operation.Responses.TryAdd("413", Problem("The body is over the endpoint's limit."));
                    operation.Responses.TryAdd("415", Problem("The body is not of an accepted content type."));
                }
                operation.Responses.TryAdd("503", Problem("Storage did not answer; nothing was changed. Retry after the Retry-After header's seconds."));
                if (metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<RequireRolesAttribute>().Any() && !metadata.OfType<SignedInAttribute>().Any())
                {
                    operation.Security = [new OpenApiSecurityRequirement()]; // public on purpose: no token needed
                    return;
                }
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", context.Document)] = [] });
                operation.Responses["401"] = Problem("No valid bearer token.");
                if (metadata.OfType<RequireRolesAttribute>().Any())
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = Organisations.MembershipResolver.OrganisationHeader, In = ParameterLocation.Header, Required = false,
                        Description = "The organisation to act for, when the caller belongs to several (checked against their memberships).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 100, Pattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
                    });
                    operation.Responses.TryAdd("400", Problem("The request could not be understood, e.g. an X-Organisation header that is not an organisation id, or none where the caller belongs to several."));
                }
                operation.Responses["403"] = Problem("The caller's role may not call this endpoint.");
            });
        });
}

/// <summary>
/// The OpenAPI document and the API reference page are functions too, so that both hosts serve them. The
/// page's scripts ship inside the app (Scalar's own bundle): nothing is fetched from a CDN.
/// </summary>
[AllowAnonymous, ExcludeFromDescription]
public sealed class ApiReferenceFunctions(IServiceProvider services)
{
    private const string ScriptResource = "ScalarStaticAssets.scalar.js";

    [Function("GetOpenApiDocument")]
    public async Task<IResult> DocumentAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/openapi/{documentName}.json")] HttpRequest req,
        string documentName, CancellationToken ct)
    {
        if (services.GetKeyedService<IOpenApiDocumentProvider>(documentName) is not { } provider) return Problems.NotFound("The OpenAPI document");
        var document = await provider.GetOpenApiDocumentAsync(ct);
        return Results.Text(await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, ct), "application/json; charset=utf-8");
    }

    /// <summary>
    /// What the page asks of Scalar: the app's own fonts (none fetched from fonts.scalar.com), none of the hosted
    /// service's controls (developer tools with "Deploy API", the AI agent, MCP, "Generate SDK"), no telemetry.
    /// </summary>
    public const string Configuration = """
        {"url":"api/openapi/v1.json","title":"Matching API","withDefaultFonts":false,"showDeveloperTools":"never","telemetry":false,
         "agent":{"disabled":true},"mcp":{"disabled":true},"hideClientButton":true,"documentDownloadType":"json"}
        """;

    [Function("GetApiReference")]
    public IResult Page([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/docs")] HttpRequest req) => Results.Content($$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Matching API</title></head>
        <body>
        <div id="app"></div>
        <script src="/api/docs/scalar.js"></script>
        <script>
          const configuration = {{Configuration}};
          configuration.url = new URL(configuration.url, window.location.origin + "/").href;
          Scalar.createApiReference("#app", configuration);
        </script>
        </body>
        </html>
        """, "text/html; charset=utf-8");

    /// <summary>Scalar's bundle as the package embeds it (gzip), and unpacked once for a client that does not take gzip.</summary>
    private static readonly Lazy<(byte[] Gzip, byte[] Plain)> Bundle = new(() =>
    {
        var assembly = typeof(Scalar.AspNetCore.ScalarOptions).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(ScriptResource, StringComparison.Ordinal));
        using var resource = new MemoryStream();
        assembly.GetManifestResourceStream(name)!.CopyTo(resource);
        var bytes = resource.ToArray();
        if (bytes is not [0x1f, 0x8b, ..]) return (Compress(bytes), bytes);
        using var plain = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress)) gzip.CopyTo(plain);
        return (bytes, plain.ToArray());

        static byte[] Compress(byte[] data)
        {
            using var packed = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
            return packed.ToArray();
        }
    });

    /// <summary>The bundle is stored compressed: sent as gzip, said so (Content-Encoding), to a client that takes it; unpacked otherwise.
    /// Sending the gzip bytes as plain JavaScript left the page blank.</summary>
    [Function("GetApiReferenceScript")]
    public IResult Script([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/docs/scalar.js")] HttpRequest req)
    {
        req.HttpContext.Response.Headers.Vary = "Accept-Encoding";
        req.HttpContext.Response.Headers.CacheControl = "public, max-age=86400";
        if (!req.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
            return Results.Bytes(Bundle.Value.Plain, "text/javascript; charset=utf-8");
        req.HttpContext.Response.Headers.ContentEncoding = "gzip";
        return Results.Bytes(Bundle.Value.Gzip, "text/javascript; charset=utf-8");
    }
}

/// <summary>A request header the function reads, for the OpenAPI document.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class HeaderParameterAttribute(string name, string description) : Attribute
{
    public string Name => name;
    public string Description => description;
    public bool Required { get; init; }
    public int MaxLength { get; init; }
    public string? Pattern { get; init; }
}

/// <summary>The function answers this status with a problem (application/problem+json).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ProducesProblemAttribute(int statusCode) : Attribute, IProducesResponseTypeMetadata
{
    public Type? Type => typeof(Microsoft.AspNetCore.Mvc.ProblemDetails);
    public int StatusCode => statusCode;
    public string? Description => null;
    public IEnumerable<string> ContentTypes => ["application/problem+json"];
}

/// <summary>The function answers 400 with a validation problem naming the fields.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProducesValidationProblemAttribute : Attribute, IProducesResponseTypeMetadata
{
    public Type? Type => typeof(HttpValidationProblemDetails);
    public int StatusCode => StatusCodes.Status400BadRequest;
    public string? Description => null;
    public IEnumerable<string> ContentTypes => ["application/problem+json"];
}

/// <summary>
/// The function reads a body of this type (see <see cref="RequestBody"/>), for the OpenAPI document only. Not
/// routing metadata on purpose: the function itself answers 415, after the token check, in both hosts.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AcceptsBodyAttribute(Type requestType, params string[] contentTypes) : Attribute
{
    /// <summary>Whether a request must carry the body (most do; a few take an optional one).</summary>
    public bool Required { get; init; } = true;

    public IReadOnlyList<string> ContentTypes { get; } = contentTypes.Length > 0 ? contentTypes : ["application/json"];
    public Type RequestType => requestType;
}

/// <summary>A query parameter the function reads, for the OpenAPI document, with the rules the function enforces
/// (type, bounds, allowed values, pattern), so that a client generated from the document knows what is valid.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class QueryParameterAttribute(string name, string description) : Attribute
{
    public string Name => name;
    public string Description => description;
    public bool Required { get; init; }
    /// <summary>"integer", "number", "boolean", "date-time"; a string otherwise.</summary>
    public string? Type { get; init; }
    public double Minimum { get; init; } = double.NaN;
    public double Maximum { get; init; } = double.NaN;
    public int MaxLength { get; init; }
    public string? Pattern { get; init; }
    /// <summary>The allowed values: an enum's names in camelCase (<see cref="Enum"/>) or these.</summary>
    public string[]? Values { get; init; }
    public Type? Enum { get; init; }

    public OpenApiSchema Schema() => new()
    {
        Type = Type switch { "integer" => JsonSchemaType.Integer, "number" => JsonSchemaType.Number, "boolean" => JsonSchemaType.Boolean, _ => JsonSchemaType.String },
        Format = Type is "date-time" ? "date-time" : null,
        Minimum = double.IsNaN(Minimum) ? null : Minimum.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Maximum = double.IsNaN(Maximum) ? null : Maximum.ToString(System.Globalization.CultureInfo.InvariantCulture),
        MaxLength = MaxLength > 0 ? MaxLength : null,
        Pattern = Pattern,
        Enum = (Enum is { } e ? System.Enum.GetNames(e).Select(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName) : Values)?
            .Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v)!).ToList(),
    };
}
