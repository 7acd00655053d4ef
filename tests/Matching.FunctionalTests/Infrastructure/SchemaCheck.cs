using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// Checks a JSON answer against a schema of the app's OpenAPI 3.1 document (JSON Schema 2020-12). It knows exactly the
/// keywords the document uses and refuses any other, so a schema it cannot judge fails loudly instead of passing.
/// oneOf is exact (one branch, not two), additionalProperties false is enforced, and numbers must be numbers.
/// </summary>
public static class SchemaCheck
{
    // Keywords that only describe: they never make a value invalid.
    private static readonly HashSet<string> Annotations = ["description", "title", "default", "example", "examples", "deprecated", "readOnly", "writeOnly", "externalDocs", "$comment"];

    public static List<string> Errors(JsonNode document, JsonNode schema, JsonElement value)
    {
        var errors = new List<string>();
        Check(document, schema, value, "$", errors, depth: 0);
        return errors;
    }

    private static void Check(JsonNode document, JsonNode schema, JsonElement value, string at, List<string> errors, int depth)
    {
        if (depth > 64) { errors.Add($"{at}: schema nesting too deep (a $ref cycle?)"); return; }
        if (schema is JsonValue b && b.TryGetValue<bool>(out var always)) { if (!always) errors.Add($"{at}: no value is allowed here"); return; }
        var s = schema.AsObject();
        foreach (var (keyword, rule) in s)
        {
            switch (keyword)
            {
                case "$ref":
                    Check(document, Resolve(document, rule!.GetValue<string>()), value, at, errors, depth + 1);
                    break;
                case "type":
                    var types = rule is JsonArray many ? many.Select(t => t!.GetValue<string>()).ToList() : [rule!.GetValue<string>()];
                    if (!types.Any(t => IsType(value, t))) errors.Add($"{at}: {Kind(value)} where the document says {string.Join(" or ", types)}");
                    break;
                case "enum":
                    if (!rule!.AsArray().Any(e => JsonNode.DeepEquals(e, JsonNode.Parse(value.GetRawText()))))
                        errors.Add($"{at}: {value.GetRawText()} is not one of {rule.ToJsonString()}");
                    break;
                case "oneOf":
                case "anyOf":
                    var passing = rule!.AsArray().Count(branch =>
                    {
                        var inner = new List<string>();
                        Check(document, branch!, value, at, inner, depth + 1);
                        return inner.Count == 0;
                    });
                    if (keyword == "oneOf" ? passing != 1 : passing == 0)
                        errors.Add($"{at}: {value.GetRawText()} matches {passing} of the {keyword} branches {rule.ToJsonString()}");
                    break;
                case "allOf":
                    foreach (var branch in rule!.AsArray()) Check(document, branch!, value, at, errors, depth + 1);
                    break;
                case "properties":
                    if (value.ValueKind != JsonValueKind.Object) break;
                    foreach (var property in value.EnumerateObject())
                        if (rule!.AsObject().TryGetPropertyValue(property.Name, out var propertySchema))
                            Check(document, propertySchema!, property.Value, $"{at}.{property.Name}", errors, depth + 1);
                    break;
                case "required":
                    if (value.ValueKind != JsonValueKind.Object) break;
                    foreach (var name in rule!.AsArray().Select(n => n!.GetValue<string>()))
                        if (!value.TryGetProperty(name, out _)) errors.Add($"{at}: required member {name} is missing");
                    break;
                case "additionalProperties":
                    if (value.ValueKind != JsonValueKind.Object) break;
                    var declared = s["properties"]?.AsObject();
                    foreach (var property in value.EnumerateObject().Where(p => declared is null || !declared.ContainsKey(p.Name)))
                        Check(document, rule!, property.Value, $"{at}.{property.Name}", errors, depth + 1);
                    break;
                case "items":
                    if (value.ValueKind != JsonValueKind.Array) break;
                    var index = 0;
                    foreach (var item in value.EnumerateArray()) Check(document, rule!, item, $"{at}[{index++}]", errors, depth + 1);
                    break;
                case "format":
                    CheckFormat(rule!.GetValue<string>(), value, at, errors);
                    break;
                case "minimum" or "maximum" or "minLength" or "maxLength" or "minItems" or "maxItems" or "pattern":
                    CheckBound(keyword, rule!, value, at, errors);
                    break;
                default:
                    if (!Annotations.Contains(keyword) && !keyword.StartsWith("x-", StringComparison.Ordinal))
                        throw new NotSupportedException($"SchemaCheck does not know the keyword '{keyword}' (at {at}): teach it before the document uses it.");
                    break;
            }
        }
    }

    private static JsonNode Resolve(JsonNode document, string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new NotSupportedException($"Only local references are followed: {reference}");
        JsonNode? node = document;
        foreach (var part in reference[2..].Split('/')) node = node?[part.Replace("~1", "/").Replace("~0", "~")];
        return node ?? throw new InvalidOperationException($"The document has no {reference}");
    }

    private static bool IsType(JsonElement value, string type) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && decimal.TryParse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d),
        _ => throw new NotSupportedException($"Unknown JSON Schema type '{type}'"),
    };

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"a string {value.GetRawText()}",
        JsonValueKind.Number => $"a number {value.GetRawText()}",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    private static void CheckFormat(string format, JsonElement value, string at, List<string> errors)
    {
        var ok = (format, value.ValueKind) switch
        {
            ("date-time", JsonValueKind.String) => DateTimeOffset.TryParseExact(value.GetString(), "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            ("date", JsonValueKind.String) => DateOnly.TryParseExact(value.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            ("uuid", JsonValueKind.String) => Guid.TryParse(value.GetString(), out _),
            ("int32", JsonValueKind.Number) => value.TryGetInt32(out _),
            ("int64", JsonValueKind.Number) => value.TryGetInt64(out _),
            ("double" or "float", JsonValueKind.Number) => double.IsFinite(value.GetDouble()),
            _ => true, // a format on another kind of value (the type decides), or one that only describes (email, uri)
        };
        if (!ok) errors.Add($"{at}: {value.GetRawText()} is not a valid {format}");
    }

    private static void CheckBound(string keyword, JsonNode rule, JsonElement value, string at, List<string> errors)
    {
        var ok = keyword switch
        {
            "minimum" => value.ValueKind != JsonValueKind.Number || value.GetDouble() >= rule.GetValue<double>(),
            "maximum" => value.ValueKind != JsonValueKind.Number || value.GetDouble() <= rule.GetValue<double>(),
            "minLength" => value.ValueKind != JsonValueKind.String || value.GetString()!.Length >= rule.GetValue<int>(),
            "maxLength" => value.ValueKind != JsonValueKind.String || value.GetString()!.Length <= rule.GetValue<int>(),
            "minItems" => value.ValueKind != JsonValueKind.Array || value.GetArrayLength() >= rule.GetValue<int>(),
            "maxItems" => value.ValueKind != JsonValueKind.Array || value.GetArrayLength() <= rule.GetValue<int>(),
            "pattern" => value.ValueKind != JsonValueKind.String || System.Text.RegularExpressions.Regex.IsMatch(value.GetString()!, rule.GetValue<string>()),
            _ => throw new NotSupportedException(keyword),
        };
        if (!ok) errors.Add($"{at}: {value.GetRawText()} breaks {keyword} {rule.ToJsonString()}");
    }
}
