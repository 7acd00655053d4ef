using System.Diagnostics;

namespace Matching.DeploymentTests;

/// <summary>The API's OpenAPI document lints clean (no error, no warning) under Redocly's recommended ruleset.</summary>
public sealed class OpenApiLintTests : IDisposable
{
    private readonly AppDeclarations _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task The_document_lints_clean_under_the_recommended_ruleset()
    {
        var root = AppDeclarations.RepoRoot();
        var lint = Path.Combine(root, "tools", "openapi-lint");
        var redocly = Path.Combine(lint, "node_modules", ".bin", "redocly");
        Assert.True(File.Exists(redocly), "The linter is not installed: scripts/test.sh installs it (npm ci in tools/openapi-lint).");
        var document = Path.Combine(Directory.CreateTempSubdirectory("matching-openapi-").FullName, "openapi.json");
        await File.WriteAllTextAsync(document, await _app.Client().GetStringAsync("/api/openapi/v1.json"));

        var start = new ProcessStartInfo(redocly) { WorkingDirectory = lint, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "lint", document, "--config", Path.Combine(lint, "redocly.yaml"), "--format", "stylish" }) start.ArgumentList.Add(arg);
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync() + await stderr;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output);
        Assert.DoesNotContain("warning", output.Split('\n').Where(l => !l.Contains('║')).Aggregate("", (a, l) => a + l + "\n"), StringComparison.OrdinalIgnoreCase);
    }
}
