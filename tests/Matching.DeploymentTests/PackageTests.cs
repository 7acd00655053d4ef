using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Matching.DeploymentTests;

/// <summary>The documented packaging command produces a zip whose layout is exactly the app's function list.</summary>
public sealed class PackageTests : IDisposable
{
    private readonly AppDeclarations _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Package_zip_holds_host_json_the_handler_and_one_folder_per_function()
    {
        var root = AppDeclarations.RepoRoot();
        var zip = Path.Combine(Path.GetTempPath(), $"matching-{Guid.NewGuid():N}.zip");
        try
        {
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            start.ArgumentList.Add(Path.Combine(root, "scripts", "package.sh"));
            start.ArgumentList.Add(zip);
            using var p = Process.Start(start)!;
            var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, output);
            Assert.Contains("MiB", output); // it prints the size

            using var archive = ZipFile.OpenRead(zip);
            var entries = archive.Entries.ToDictionary(e => e.FullName);
            Assert.Equal(File.ReadAllText(Path.Combine(root, "host.json")), new StreamReader(entries["host.json"].Open()).ReadToEnd());
            Assert.True(entries.ContainsKey("Matching.Functions.dll"));
            Assert.True(entries.ContainsKey("Matching.Functions.runtimeconfig.json"));
            Assert.False(entries.ContainsKey("appsettings.Development.json"), "the development key must not ship");
            var handler = entries["Matching.Functions"]; // the linux-x64 apphost keeps its exec bit
            Assert.NotEqual(0, (handler.ExternalAttributes >> 16) & 0b001_000_000);

            var folders = entries.Keys.Where(k => k.EndsWith("/function.json", StringComparison.Ordinal)).Select(k => k[..^"/function.json".Length]).Order().ToArray();
            var expected = _app.Functions;
            Assert.Equal(expected.Select(f => f.Name).Order(), folders);
            foreach (var f in expected)
            {
                var written = JsonNode.Parse(new StreamReader(entries[$"{f.Name}/function.json"].Open()).ReadToEnd())!;
                Assert.Equal(f.FunctionJson.ToJsonString(), written.ToJsonString());
            }
        }
        finally
        {
            File.Delete(zip);
        }
    }
}
