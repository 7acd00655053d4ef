using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Matching.DeploymentTests;

/// <summary>
/// The documented packaging command produces the zip Flex Consumption deploys, and the functions the worker
/// SDK generated into it (functions.metadata) are exactly the ones the local host serves.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class PackageTests : IDisposable
{
    /// <summary>The zip built once by scripts/package.sh, shared by the tests that read it and the ones that run it.</summary>
    public sealed class Package : IDisposable
    {
        public Package()
        {
            var root = AppDeclarations.RepoRoot();
            ZipPath = Path.Combine(Path.GetTempPath(), $"matching-{Guid.NewGuid():N}.zip");
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            start.ArgumentList.Add(Path.Combine(root, "scripts", "package.sh"));
            start.ArgumentList.Add(ZipPath);
            using var p = Process.Start(start)!;
            var stderr = p.StandardError.ReadToEndAsync();
            Output = p.StandardOutput.ReadToEnd() + stderr.Result;
            p.WaitForExit();
            ExitCode = p.ExitCode;
        }

        public string ZipPath { get; }
        public string Output { get; }
        public int ExitCode { get; }

        public string Read(ZipArchive zip, string name) => new StreamReader(zip.GetEntry(name)!.Open()).ReadToEnd();

        /// <summary>The zip unpacked into a new folder, as the platform does before it starts the worker.</summary>
        public string Extract()
        {
            Assert.True(ExitCode == 0, Output);
            var folder = Directory.CreateTempSubdirectory("matching-app-").FullName;
            ZipFile.ExtractToDirectory(ZipPath, folder);
            return folder;
        }

        public void Dispose() => File.Delete(ZipPath);
    }

    private readonly Package _package;
    private readonly AppDeclarations _app = new();

    public PackageTests(Package package)
    {
        _package = package;
        Assert.True(package.ExitCode == 0, package.Output);
    }

    public void Dispose() => _app.Dispose();

    [Fact]
    public void Zip_is_a_worker_package_with_host_json_metadata_and_extensions_and_no_development_key()
    {
        Assert.Contains("MiB", _package.Output); // it prints the size
        using var zip = ZipFile.OpenRead(_package.ZipPath);
        var entries = zip.Entries.ToDictionary(e => e.FullName);
        var root = AppDeclarations.RepoRoot();
        Assert.Equal(File.ReadAllText(Path.Combine(root, "host.json")), _package.Read(zip, "host.json"));
        Assert.Null(JsonNode.Parse(_package.Read(zip, "host.json"))!["customHandler"]);
        var worker = JsonNode.Parse(_package.Read(zip, "worker.config.json"))!["description"]!;
        Assert.Equal("dotnet-isolated", (string?)worker["language"]);
        Assert.Equal("Matching.Functions.dll", (string?)worker["defaultWorkerPath"]);
        Assert.True(entries.ContainsKey("Matching.Functions.dll"));
        Assert.True(entries.ContainsKey("extensions.json"));
        // The commands and the studies are a tool of their own: the package carries no command line.
        Assert.False(entries.ContainsKey("System.CommandLine.dll"), "the command line must not ship");
        Assert.False(entries.ContainsKey("Matching.Commands.dll"), "the commands tool must not ship");
        Assert.Contains(entries.Keys, k => k.StartsWith(".azurefunctions/", StringComparison.Ordinal) && k.EndsWith("Storage.Queues.dll", StringComparison.Ordinal));
        Assert.False(entries.ContainsKey("appsettings.Development.json"), "the development key must not ship");
        Assert.NotEqual(0, (entries["Matching.Functions"].ExternalAttributes >> 16) & 0b001_000_000); // the apphost keeps its exec bit
        Assert.InRange(new FileInfo(_package.ZipPath).Length, 1, 20L * 1024 * 1024);
    }

    [Fact]
    public void Generated_metadata_lists_exactly_the_functions_the_local_host_serves()
    {
        using var zip = ZipFile.OpenRead(_package.ZipPath);
        var metadata = JsonNode.Parse(_package.Read(zip, "functions.metadata"))!.AsArray().Select(f => f!.AsObject()).ToList();
        var catalog = _app.Catalog;
        var routes = _app.LocalRoutes.ToDictionary(r => r.Name);
        Assert.Equal(catalog.HttpFunctions.Count + catalog.QueueFunctions.Count + catalog.TimerFunctions.Count, metadata.Count);
        Assert.Equal(catalog.HttpFunctions.Count, routes.Count);
        foreach (var function in metadata)
        {
            var name = (string)function["name"]!;
            var trigger = function["bindings"]!.AsArray().Select(b => b!.AsObject()).Single(b => ((string)b["type"]!).EndsWith("Trigger", StringComparison.Ordinal));
            switch ((string)trigger["type"]!)
            {
                case "httpTrigger":
                    Assert.True(routes.TryGetValue(name, out var local), $"{name} is not served by the local host");
                    Assert.Equal((string)trigger["route"]!, local.Route);
                    Assert.Equal(trigger["methods"]!.AsArray().Select(m => ((string)m!).ToUpperInvariant()).Order(), local.Methods.Order());
                    Assert.Equal("Anonymous", (string?)trigger["authLevel"]); // the app checks tokens itself, in both hosts
                    break;
                case "queueTrigger":
                    Assert.Equal((string)trigger["queueName"]!, catalog.FindQueue(name)?.QueueName);
                    break;
                case "timerTrigger":
                    var schedule = (string)trigger["schedule"]!;
                    Assert.Equal(schedule, catalog.FindTimer(name)?.Schedule);
                    // An app setting, so that operators can change it; defined locally and in the Bicep.
                    Assert.Matches("^%[A-Za-z]+%$", schedule);
                    Assert.NotEmpty(_app.Setting(schedule.Trim('%')));
                    Assert.Contains($"{schedule.Trim('%')}:", File.ReadAllText(Path.Combine(AppDeclarations.RepoRoot(), "infra", "app", "functionapp.bicep")));
                    break;
                default:
                    Assert.Fail($"{name} has an unexpected trigger {trigger["type"]}");
                    break;
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackageTests.Package>
{
    public const string Name = "package";
}

