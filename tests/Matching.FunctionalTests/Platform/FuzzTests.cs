using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Matching.FunctionalTests.Infrastructure;
using Matching.Hosting;
using Matching.Security;
using Xunit.Abstractions;
using static Matching.FunctionalTests.Infrastructure.OfferScenario;

namespace Matching.FunctionalTests;

/// <summary>
/// Requests generated from the OpenAPI document: for every operation, a valid body from its schema, then mutated
/// (wrong types, bounds, NaN and infinities as strings, huge and empty strings, control and non-BMP characters,
/// duplicate and wrong-case keys, missing and extra fields, nulls, extra headers), sent by a caller in a role the
/// operation serves, half of them in French. No answer may be a 5xx, every 4xx is a problem document in the reader's
/// language, and a rejected claim books nothing.
/// The seed is printed so that a failure replays: MATCHING_FUZZ_SEED; MATCHING_FUZZ_REQUESTS for a longer run.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class FuzzTests(StorageFixture fixture, ITestOutputHelper output)
{
    private MatchingApp App => fixture.App;

    [Fact]
    public async Task Generated_and_mutated_requests_never_get_a_5xx_and_every_4xx_is_a_problem()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("MATCHING_FUZZ_SEED"), out var s) ? s : 20261125;
        var total = int.TryParse(Environment.GetEnvironmentVariable("MATCHING_FUZZ_REQUESTS"), out var n) ? n : 10_000;
        output.WriteLine($"fuzz seed {seed}, {total} requests (replay with MATCHING_FUZZ_SEED={seed})");
        var random = new Random(seed);
        var french = new Random(seed + 1); // half the requests read in French (no Accept-Language), without changing which are generated

        var doc = JsonNode.Parse(await App.CreateClient().GetStringAsync("/api/openapi/v1.json"))!;
        var operations = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => new Operation(p.Key, m.Key.ToUpperInvariant(), m.Value!.AsObject())))
            .Where(o => FunctionCatalog.App.FindHttp(o.Id) is { IsAnonymous: false })
            .ToList();
        Assert.True(operations.Count > 50, $"{operations.Count} operations");

        // Real ids the mutated requests can hit, in the fuzz callers' organisations.
        var ngoOrg = NewOrg("fuzz-ngo");
        var providerOrg = NewOrg("fuzz-provider");
        var sentinel = await OpenOfferAsync(App, providerOrg, Details(seats: 50));
        var learner = (await Json(await App.ClientFor(Role.Ngo, ngoOrg).PostAsJsonAsync("/api/learners", new { displayName = "Fuzz" }))).GetProperty("id").GetString()!;
        var ids = new[] { sentinel, learner, Guid.NewGuid().ToString("N") };
        var clients = Enum.GetValues<Role>().ToDictionary(r => r, r => App.ClientFor(r, r switch { Role.Provider => providerOrg, Role.Admin or Role.Operator => "platform", Role.Mentor => "volunteers", _ => ngoOrg },
            subject: r == Role.Learner ? learner : $"fuzz-{r}"));

        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var acceptedClaimsOnSentinel = 0;
        var sent = 0;
        while (sent < total)
        {
            var batch = Enumerable.Range(0, Math.Min(32, total - sent)).Select(_ =>
            {
                var op = operations[random.Next(operations.Count)];
                var function = FunctionCatalog.App.FindHttp(op.Id)!;
                IReadOnlyCollection<Role> roles = function.SignedInOnly ? Enum.GetValues<Role>() : function.Roles; // signed in: any caller
                var role = roles.ElementAt(random.Next(roles.Count));
                var request = Build(op, doc, ids, random);
                if (french.Next(2) == 0) request.Message.Headers.AcceptLanguage.ParseAdd("fr");
                return (Op: op, Request: request, Client: clients[role]);
            }).ToList();
            sent += batch.Count;
            var answers = await Task.WhenAll(batch.Select(async b => (b.Op, b.Request.Text, Response: await b.Client.SendAsync(b.Request.Message))));
            foreach (var (op, text, response) in answers)
            {
                var body = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status >= 500) failures.Add($"{op.Method} {op.Path} -> {status}: {text} => {body[..Math.Min(300, body.Length)]}");
                else if (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    failures.Add($"{op.Method} {op.Path} -> {status} without a problem document: {text}");
                if (op.Id == "ClaimSeats" && status is 200 or 201 && body.Contains(sentinel)) acceptedClaimsOnSentinel++;
            }
        }
        output.WriteLine($"sent {sent} requests, {failures.Count} failures; statuses: {string.Join(", ", statuses.Select(x => $"{x.Key}: {x.Value}"))}");
        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} failures, first: " + string.Join("\n", failures.Take(10)));
        // Every problem a French reader got was in French (add what is listed to Texts.resx and Texts.fr.resx).
        Assert.True(Texts.Untranslated.Count == 0, "Untranslated texts in French answers:\n" + string.Join("\n", Texts.Untranslated.Order()));

        // A rejected claim booked nothing: the sentinel offer holds exactly the claims that were accepted.
        var claims = await Json(await clients[Role.Provider].GetAsync($"/api/offers/{sentinel}/claims"));
        Assert.Equal(acceptedClaimsOnSentinel, claims.GetProperty("claims").GetArrayLength());
    }

    private sealed record Operation(string Path, string Method, JsonObject Spec)
    {
        public string Id => (string)Spec["operationId"]!;
    }

    private static (HttpRequestMessage Message, string Text) Build(Operation op, JsonNode doc, string[] ids, Random random)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(op.Path, "{[^}]+}", _ => random.Next(5) switch
        {
            0 => "not-an-id", 1 => new string('a', 32), 2 => Uri.EscapeDataString("é😀"), _ => ids[random.Next(ids.Length)],
        });
        var query = new List<string>();
        foreach (var p in op.Spec["parameters"]?.AsArray() ?? [])
            if ((string?)p!["in"] == "query" && random.Next(2) == 0)
                query.Add($"{p["name"]}={Uri.EscapeDataString(Strings[random.Next(Strings.Length)])}");
        var message = new HttpRequestMessage(new HttpMethod(op.Method), path + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
        message.Headers.Add("Idempotency-Key", random.Next(6) == 0 ? "" : $"fuzz-{random.Next()}");
        if (random.Next(4) == 0) message.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");
        var text = "";
        if (op.Spec["requestBody"]?["content"]?.AsObject() is { } content)
        {
            var mediaType = content.First().Key;
            var schema = Resolve(content.First().Value!["schema"], doc);
            text = mediaType.Contains("json") ? Mutate(Generate(schema, doc, random, 0), schema, random) : random.Next(2) == 0 ? "<LHEO/>" : "not xml";
            message.Content = new StringContent(text, Encoding.UTF8, random.Next(12) == 0 ? "text/plain" : mediaType);
        }
        return (message, text);
    }

    private static readonly string[] Strings =
    [
        "", " ", "NaN", "Infinity", "-1", "0", "1e308", "2147483648", "true", "null", "🙂😀", "\u0001\u0007", "<script>", "' OR 1=1 --",
        "=HYPERLINK(\"x\")", new string('x', 5000), "2026-12-01T10:00:00", "2026-12-01T10:00:00Z", "46.17,1.87", "fr", "cvReview",
    ];

    private static JsonNode? Resolve(JsonNode? schema, JsonNode doc)
    {
        for (var i = 0; i < 10 && schema?["$ref"] is { } r; i++) schema = doc["components"]!["schemas"]![((string)r!).Split('/')[^1]];
        return schema;
    }

    /// <summary>A valid-looking instance of the schema (enums, formats and bounds respected where the schema says).</summary>
    private static JsonNode? Generate(JsonNode? schema, JsonNode doc, Random random, int depth)
    {
        schema = Resolve(schema, doc);
        if (schema is null || depth > 6) return null;
        if (schema["enum"] is JsonArray values && values.Count > 0) return values[random.Next(values.Count)]?.DeepClone();
        var types = schema["type"] switch
        {
            JsonArray a => a.Select(t => (string)t!).Where(t => t != "null").ToArray(),
            JsonValue v => [(string)v!],
            _ => schema["properties"] is not null ? ["object"] : [],
        };
        foreach (var key in new[] { "oneOf", "anyOf" })
            if (types.Length == 0 && schema[key] is JsonArray choices && choices.Count > 0)
                return Generate(choices.FirstOrDefault(c => (string?)c?["type"] != "null") ?? choices[0], doc, random, depth + 1);
        return types.FirstOrDefault() switch
        {
            "object" => new JsonObject((schema["properties"]?.AsObject() ?? []).Select(p => KeyValuePair.Create(p.Key, Generate(p.Value, doc, random, depth + 1)))),
            "array" => new JsonArray(Enumerable.Range(0, random.Next(1, 3)).Select(_ => Generate(schema["items"], doc, random, depth + 1)).ToArray()),
            "integer" => random.Next(1, 10),
            "number" => Math.Round(random.NextDouble() * 50, 3),
            "boolean" => random.Next(2) == 0,
            "string" => (string?)schema["format"] switch
            {
                "date-time" => DateTimeOffset.UtcNow.AddDays(random.Next(-3, 30)).ToString("O"),
                "date" => DateTime.UtcNow.AddDays(random.Next(1, 30)).ToString("yyyy-MM-dd"),
                "time" => "18:00:00",
                _ => random.Next(3) == 0 ? Guid.NewGuid().ToString("N") : "fuzz text",
            },
            _ => null,
        };
    }

    /// <summary>One mutation of a valid body, as text (duplicate keys need raw text).</summary>
    private static string Mutate(JsonNode? body, JsonNode? schema, Random random)
    {
        if (body is not JsonObject obj || obj.Count == 0 || random.Next(8) == 0) return body?.ToJsonString() ?? "{}";
        var key = obj.ElementAt(random.Next(obj.Count)).Key;
        switch (random.Next(12))
        {
            case 0: obj[key] = Strings[random.Next(Strings.Length)]; break;                   // wrong type or odd string
            case 1: obj[key] = random.Next(2) == 0 ? -2147483648 : 1e308; break;              // bounds
            case 2: obj[key] = null; break;                                                    // null where not allowed
            case 3: obj.Remove(key); break;                                                    // missing field
            case 4: obj["unexpected"] = 1; break;                                              // extra field
            case 5: { var value = obj[key]; obj.Remove(key); obj[char.ToUpperInvariant(key[0]) + key[1..]] = value; break; } // wrong case
            case 6: return obj.ToJsonString().Replace($"\"{key}\":", $"\"{key}\":1,\"{key}\":");    // duplicate key
            case 7: obj[key] = new JsonArray(Enumerable.Range(0, 1000).Select(i => (JsonNode?)i).ToArray()); break; // big array
            case 8: obj[key] = new string('é', 100_000); break;                               // huge string
            case 9: obj[key] = "\u0000\u001f\ud83d\ude00"; break;                             // control and non-BMP characters
            case 10: return obj.ToJsonString()[..^1];                                          // truncated JSON
            default: obj[key] = new JsonObject { ["nested"] = new JsonArray(1, "two", null) }; break;
        }
        return obj.ToJsonString();
    }
}
