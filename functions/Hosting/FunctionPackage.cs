using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Matching.Hosting;

/// <summary>One function of the deployable package: its folder name and its function.json.</summary>
public sealed record FunctionDefinition(string Name, JsonObject FunctionJson);

/// <summary>
/// Derives the Functions package from the app's own declarations: every named route under /api is an
/// HTTP function (forwarded as-is), every <see cref="QueueFunction"/> and <see cref="TimerFunction"/> is
/// invoked through <c>POST /{FunctionName}</c>.
/// </summary>
public static class FunctionPackage
{
    public const string RoutePrefix = "api";

    /// <summary>The function list of a built app whose endpoints are mapped (it need not be started).</summary>
    public static IReadOnlyList<FunctionDefinition> Describe(IEndpointRouteBuilder app) =>
        Describe(new CompositeEndpointDataSource(app.DataSources), app.ServiceProvider.GetRequiredService<FunctionCatalog>());

    public static IReadOnlyList<FunctionDefinition> Describe(EndpointDataSource endpoints, FunctionCatalog catalog)
    {
        var functions = new List<FunctionDefinition>();
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<ExcludeFromFunctionPackage>() is not null) continue;
            var route = endpoint.RoutePattern.RawText?.TrimStart('/') ?? "";
            if (!route.StartsWith(RoutePrefix + "/", StringComparison.Ordinal))
                throw new InvalidOperationException($"Route '{route}' is not under /{RoutePrefix}: HTTP functions are forwarded under /{RoutePrefix} only.");
            var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName
                ?? throw new InvalidOperationException($"Route '{route}' has no name (WithName): every endpoint must be named.");
            FunctionNames.EnsureValid(name);
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods
                ?? throw new InvalidOperationException($"Endpoint '{name}' accepts every method; declare its methods.");
            functions.Add(new FunctionDefinition(name, new JsonObject
            {
                ["bindings"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "httpTrigger",
                        ["direction"] = "in",
                        ["name"] = "req",
                        // Callers are authenticated by the app's own bearer-token checks.
                        ["authLevel"] = "anonymous",
                        ["methods"] = new JsonArray(methods.Select(m => (JsonNode)m.ToLowerInvariant()).ToArray()),
                        ["route"] = ToFunctionsRoute(route[(RoutePrefix.Length + 1)..].TrimEnd('/')),
                    },
                    new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
            }));
        }

        functions.AddRange(catalog.QueueFunctions.Select(q => new FunctionDefinition(q.Name, new JsonObject
        {
            ["bindings"] = new JsonArray(new JsonObject
            {
                ["type"] = "queueTrigger",
                ["direction"] = "in",
                ["name"] = InvocationPayload.QueueBindingName,
                ["queueName"] = q.QueueName,
                ["connection"] = "AzureWebJobsStorage",
            }),
        })));
        functions.AddRange(catalog.TimerFunctions.Select(t => new FunctionDefinition(t.Name, new JsonObject
        {
            ["bindings"] = new JsonArray(new JsonObject
            {
                ["type"] = "timerTrigger",
                ["direction"] = "in",
                ["name"] = InvocationPayload.TimerBindingName,
                ["schedule"] = t.Schedule,
                ["runOnStartup"] = t.RunOnStartup,
            }),
        })));

        var duplicate = functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Function '{duplicate.Key}' is declared more than once.");
        return functions;
    }

    /// <summary>Writes <c>&lt;Name&gt;/function.json</c> for every function and replaces stale function folders.</summary>
    public static IReadOnlyList<FunctionDefinition> Write(string directory, IReadOnlyList<FunctionDefinition> functions, string hostJsonPath)
    {
        Directory.CreateDirectory(directory);
        foreach (var stale in Directory.EnumerateDirectories(directory).Where(d => File.Exists(Path.Combine(d, "function.json"))))
            Directory.Delete(stale, recursive: true);
        var targetHost = Path.Combine(directory, "host.json");
        if (!string.Equals(Path.GetFullPath(hostJsonPath), Path.GetFullPath(targetHost), StringComparison.Ordinal))
            File.Copy(hostJsonPath, targetHost, overwrite: true);
        var options = new JsonSerializerOptions { WriteIndented = true };
        foreach (var f in functions)
        {
            var folder = Path.Combine(directory, f.Name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "function.json"), f.FunctionJson.ToJsonString(options));
        }
        return functions;
    }

    /// <summary>
    /// Zips a package folder for deployment, keeping Unix permissions (the exec bit of the handler) in each
    /// entry's external attributes, as the host's unzip honours them.
    /// </summary>
    public static long WriteZip(string directory, string zipPath)
    {
        if (!File.Exists(Path.Combine(directory, "host.json"))) throw new InvalidOperationException($"{directory} has no host.json: publish first.");
        if (File.Exists(zipPath)) File.Delete(zipPath);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(zipPath))!);
        using (var zip = System.IO.Compression.ZipFile.Open(zipPath, System.IO.Compression.ZipArchiveMode.Create))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var entry = zip.CreateEntryFromFile(file, Path.GetRelativePath(directory, file).Replace('\\', '/'),
                    System.IO.Compression.CompressionLevel.Optimal);
                if (!OperatingSystem.IsWindows())
                    entry.ExternalAttributes = ((int)File.GetUnixFileMode(file) | 0x8000) << 16; // S_IFREG | mode
            }
        }
        return new FileInfo(zipPath).Length;
    }

    /// <summary>ASP.NET Core and the Functions host share the route template syntax, except the catch-all.</summary>
    private static string ToFunctionsRoute(string route) => route.Replace("{**", "{*", StringComparison.Ordinal);
}
