extern alias JsonSchemaNet;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using JsonSchemaNet::Json.Schema;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// Checks a JSON value against a schema of the app's OpenAPI 3.1 document (JSON Schema 2020-12) with a maintained
/// validator, JsonSchema.Net, formats asserted (issue 29: a hand-written check let <c>"12:00:00"</c> pass as an RFC 3339
/// <c>time</c>, which carries an offset). The document's component schemas are registered once as one schema document
/// (<c>#/components/schemas/X</c> becomes <c>…/openapi-components#/$defs/X</c>); each schema checked is built once.
/// Every error names the keyword (the rule) that was broken, where in the value, and the validator's words.
/// </summary>
public static class SchemaCheck
{
    private const string Components = "https://matching.test/openapi-components";
    private static readonly ConcurrentDictionary<string, (BuildOptions Options, ConcurrentDictionary<string, JsonSchema> Built)> Documents = new();
    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.Hierarchical, RequireFormatValidation = true };
    private static int _built;

    public static List<string> Errors(JsonNode document, JsonNode schema, JsonElement value)
    {
        var (options, built) = Documents.GetOrAdd(document.ToJsonString(), _ => (Register(document), new ConcurrentDictionary<string, JsonSchema>()));
        var text = Rewrite(schema.ToJsonString());
        var compiled = built.GetOrAdd(text, t =>
            JsonSchema.FromText(t, options, new Uri($"https://matching.test/checked/{Interlocked.Increment(ref _built)}")));
        var results = compiled.Evaluate(value, Evaluation);
        if (results.IsValid) return [];
        var errors = new List<string>();
        Collect(results, errors);
        return errors.Count > 0 ? errors : [$"$: invalid ({results.SchemaLocation})"];
    }

    /// <summary>The errors of the failing nodes only: a oneOf that holds has failing branches that are not errors.</summary>
    private static void Collect(EvaluationResults node, List<string> errors)
    {
        if (node.IsValid) return;
        foreach (var (keyword, message) in node.Errors ?? [])
            errors.Add($"${node.InstanceLocation}: breaks '{keyword}': {message} (schema at {node.EvaluationPath})");
        foreach (var child in node.Details ?? []) Collect(child, errors);
    }

    /// <summary>The document's component schemas as one schema document of <c>$defs</c>, in a registry of its own.</summary>
    private static BuildOptions Register(JsonNode document)
    {
        var defs = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = Components,
            ["$defs"] = JsonNode.Parse(Rewrite(document["components"]?["schemas"]?.ToJsonString() ?? "{}")),
        };
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        JsonSchema.FromText(defs.ToJsonString(), options, new Uri(Components)); // building registers it under its $id
        return options;
    }

    private static string Rewrite(string json) => json.Replace("\"#/components/schemas/", $"\"{Components}#/$defs/", StringComparison.Ordinal);
}
