using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// Every answer a test client receives is checked against the OpenAPI document: its operation must declare the
/// status, and a problem status must come as application/problem+json with a type, a JSON one as JSON, and a JSON
/// body must satisfy the status's schema (<see cref="SchemaCheck"/>). A mismatch fails the test that got it, so the
/// document cannot drift from what the app answers.
/// </summary>
public sealed class ContractCheck(Func<HttpClient> plainClient, Func<string>? appErrors = null) : DelegatingHandler
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static List<(string Method, TemplateMatcher Matcher, JsonObject Responses)>? _operations;
    private static JsonNode? _document;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.SendAsync(request, ct);
        var operations = await OperationsAsync();
        var path = request.RequestUri!.AbsolutePath;
        var op = operations.FirstOrDefault(o => o.Method == request.Method.Method && o.Matcher.TryMatch(path, new RouteValueDictionary()));
        if (op.Responses is null) return response; // not an operation of the document (e.g. an unknown route probed on purpose)
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!op.Responses.ContainsKey(status))
            throw new Xunit.Sdk.XunitException($"{request.Method} {path} answered {status}, which its operation does not declare ({string.Join(", ", op.Responses.Select(r => r.Key))})." +
                (status.StartsWith('5') && appErrors?.Invoke() is { Length: > 0 } errors ? $" The app's last errors:\n{errors}" : ""));
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var declared = op.Responses[status]?["content"]?.AsObject().Select(c => c.Key).ToList() ?? [];
        if (declared.Count > 0 && mediaType is not null && !declared.Contains(mediaType))
            throw new Xunit.Sdk.XunitException($"{request.Method} {path} answered {status} as {mediaType}, declared {string.Join(", ", declared)}.");
        if (mediaType is not null && op.Responses[status]?["content"]?[mediaType]?["schema"] is { } schema && (mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal)))
        {
            await response.Content.LoadIntoBufferAsync(ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (text.Length == 0) throw new Xunit.Sdk.XunitException($"{request.Method} {path} answered {status} as {mediaType} with no body; the document declares one.");
            using var body = JsonDocument.Parse(text);
            var errors = SchemaCheck.Errors(_document!, schema, body.RootElement);
            if (errors.Count > 0)
                throw new Xunit.Sdk.XunitException($"{request.Method} {path} answered {status} with a body its schema refuses:\n  {string.Join("\n  ", errors.Take(10))}");
        }
        return response;
    }

    private async Task<List<(string Method, TemplateMatcher Matcher, JsonObject Responses)>> OperationsAsync()
    {
        if (_operations is not null) return _operations;
        await Gate.WaitAsync();
        try
        {
            if (_operations is not null) return _operations;
            var doc = _document = JsonNode.Parse(await plainClient().GetStringAsync("/api/openapi/v1.json"))!;
            var list = doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m =>
                (m.Key.ToUpperInvariant(), new TemplateMatcher(TemplateParser.Parse(p.Key.TrimStart('/')), new RouteValueDictionary()), m.Value!["responses"]!.AsObject())))
                .ToList();
            // Literal segments before parameters, as routing does.
            list.Sort((a, b) => RoutePrecedence.ComputeInbound(a.Item2.Template).CompareTo(RoutePrecedence.ComputeInbound(b.Item2.Template)));
            return _operations = list;
        }
        finally { Gate.Release(); }
    }
}
