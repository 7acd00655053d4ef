using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Matching.DeploymentTests;

/// <summary>Compiles and lints infra/ with the Bicep CLI from NuGet, then checks the ARM template's invariants.</summary>
public sealed class BicepTests : IClassFixture<BicepTests.Compiled>, IDisposable
{
    public sealed class Compiled
    {
        public Compiled()
        {
            var main = Path.Combine(AppDeclarations.RepoRoot(), "infra", "main.bicep");
            (BuildExit, var json, BuildErrors) = Run("build", main, "--stdout");
            (LintExit, LintOutput, var lintErrors) = Run("lint", main);
            LintOutput += lintErrors;
            Template = BuildExit == 0 ? JsonNode.Parse(json)!.AsObject() : new JsonObject();
        }

        public int BuildExit { get; }
        public string BuildErrors { get; }
        public int LintExit { get; }
        public string LintOutput { get; }
        public JsonObject Template { get; }

        private static (int, string, string) Run(params string[] args)
        {
            var bicep = typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;
            Assert.True(File.Exists(bicep), $"The Bicep CLI is not at {bicep}: restore tests/Matching.DeploymentTests.");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(bicep, File.GetUnixFileMode(bicep) | UnixFileMode.UserExecute);
            var start = new ProcessStartInfo(bicep) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) start.ArgumentList.Add(a);
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            using var p = Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    private readonly Compiled _compiled;
    private readonly AppDeclarations _app = new();

    public BicepTests(Compiled compiled) => _compiled = compiled;

    public void Dispose() => _app.Dispose();

    private JsonObject Template => _compiled.Template;

    /// <summary>Every resource of the template, nested module templates included.</summary>
    private IEnumerable<JsonObject> Resources(JsonObject? template = null)
    {
        foreach (var r in ResourceList(template ?? Template))
        {
            yield return r;
            if (r["properties"]?["template"] is JsonObject nested)
                foreach (var inner in Resources(nested)) yield return inner;
        }
    }

    private static IEnumerable<JsonObject> ResourceList(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject map => map.Select(kv => kv.Value).OfType<JsonObject>(), // languageVersion 2.0 symbolic names
        _ => [],
    };

    private IEnumerable<JsonObject> OfType(string type) => Resources().Where(r => (string?)r["type"] == type);

    [Fact]
    public void Bicep_compiles_without_errors()
    {
        Assert.True(_compiled.BuildExit == 0, _compiled.BuildErrors);
        Assert.Equal("https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#", (string?)Template["$schema"]);
    }

    [Fact]
    public void Bicep_lint_reports_no_warning_and_no_error()
    {
        Assert.True(_compiled.LintExit == 0, _compiled.LintOutput);
        Assert.DoesNotContain("Warning", _compiled.LintOutput);
        Assert.DoesNotContain("Error", _compiled.LintOutput);
    }

    [Fact]
    public void Storage_has_no_shared_key_access_and_tls_1_2()
    {
        var account = Assert.Single(OfType("Microsoft.Storage/storageAccounts"), r => r["properties"] is not null);
        Assert.False((bool)account["properties"]!["allowSharedKeyAccess"]!);
        Assert.Equal("TLS1_2", (string?)account["properties"]!["minimumTlsVersion"]);
        Assert.False((bool)account["properties"]!["allowBlobPublicAccess"]!);
        var text = Template.ToJsonString();
        Assert.DoesNotContain("listKeys", text);
        Assert.DoesNotContain("AccountKey", text);
    }

    [Fact]
    public void App_settings_are_identity_based_and_leave_flex_managed_settings_alone()
    {
        var settings = Assert.Single(OfType("Microsoft.Web/sites/config"))["properties"]!.AsObject();
        Assert.Equal("managedidentity", (string?)settings["AzureWebJobsStorage__credential"]);
        foreach (var key in new[] { "AzureWebJobsStorage__clientId", "AzureWebJobsStorage__blobServiceUri", "AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri", "Auth__EntraTenantId", "Auth__Audience", "Auth__Authority" })
            Assert.True(settings.ContainsKey(key), key);
        Assert.False(settings.ContainsKey("AzureWebJobsStorage"));
        foreach (var forbidden in new[] { "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE" })
            Assert.False(settings.ContainsKey(forbidden), forbidden);
        Assert.DoesNotContain(settings, s => s.Key.StartsWith("Auth__DevelopmentSigningKey", StringComparison.Ordinal));
    }

    [Fact]
    public void The_pages_sign_in_at_the_apis_provider_and_their_secrets_and_the_sms_key_are_vault_references()
    {
        var settings = Assert.Single(OfType("Microsoft.Web/sites/config"))["properties"]!.AsObject();
        foreach (var key in new[] { "Pages__SignIn__Authority", "Pages__SignIn__ClientId", "Pages__SignIn__ClientSecret", "Sms__ConnectionString", "Sms__From" })
            Assert.True(settings.ContainsKey(key), key);
        // The ARM expression: the authority is the API's own (External ID), the secrets come from the vault, never a parameter.
        Assert.Contains("entraAuthority", settings["Pages__SignIn__Authority"]!.ToString());
        foreach (var (key, secret) in new[] { ("Pages__SignIn__ClientSecret", "pages-signin-client-secret"), ("Sms__ConnectionString", "sms-connection-string") })
        {
            var value = settings[key]!.ToString();
            Assert.Contains("@Microsoft.KeyVault(VaultName=", value, StringComparison.Ordinal);
            Assert.Contains($"SecretName={secret})", value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_identity_has_exactly_the_roles_the_app_needs()
    {
        var expected = new[]
        {
            "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
            "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
            "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
            "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
            "4633458b-17de-408a-b874-0445c86b69e6", // Key Vault Secrets User (the SMTP relay's password), on the vault only
        };
        var rbac = OfType("Microsoft.Resources/deployments").Single(d => (string?)d["name"] == "rbac")["properties"]!["template"]!.AsObject();
        var roles = rbac["variables"]!.AsObject().Select(v => (string?)v.Value).Where(v => v is not null && Guid.TryParse(v, out _)).Order().ToArray();
        Assert.Equal(expected.Order(), roles);
        var assignments = Resources(rbac).Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(3, assignments.Count); // a loop over the three storage roles, the telemetry role, the vault's secrets role
        Assert.Contains(assignments, a => (string?)a["scope"] is { } scope && scope.Contains("Microsoft.KeyVault/vaults", StringComparison.Ordinal));
        var text = rbac.ToJsonString();
        foreach (var broad in new[] { "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "17d1049b-9a84-46fb-8f53-869881c3d3ab" })
            Assert.DoesNotContain(broad, text); // Owner, Contributor, Storage Account Contributor
    }

    [Fact]
    public void Monitoring_has_local_authentication_off()
    {
        Assert.True((bool)Assert.Single(OfType("Microsoft.Insights/components"), r => r["properties"] is not null)["properties"]!["DisableLocalAuth"]!);
        Assert.True((bool)Assert.Single(OfType("Microsoft.OperationalInsights/workspaces"))["properties"]!["features"]!["disableLocalAuth"]!);
    }

    [Fact]
    public void Tables_queues_and_containers_are_exactly_what_the_app_declares()
    {
        var variables = Template["variables"]!.AsObject();
        string[] Names(string v) => variables[v]!.AsArray().Select(n => (string)n!).Order().ToArray();
        Assert.Equal(_app.Storage.TableNames.Order(), Names("storageTables"));
        Assert.Equal(_app.Storage.QueueNames.Order(), Names("storageQueues"));
        Assert.Equal(_app.Storage.ContainerNames.Order(), Names("storageContainers"));
        // Every queue trigger of the package has its queue and its poison queue.
        foreach (var q in _app.Catalog.QueueFunctions)
        {
            Assert.Contains(q.QueueName, Names("storageQueues"));
            Assert.Contains(q.PoisonQueueName, Names("storageQueues"));
        }
    }

    [Fact]
    public void Runtime_is_the_dotnet_isolated_worker_on_flex_consumption()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(AppDeclarations.RepoRoot(), "host.json")))!;
        Assert.Null(host["customHandler"]);
        var site = Assert.Single(OfType("Microsoft.Web/sites"), r => (string?)r["kind"] == "functionapp,linux");
        var runtime = site["properties"]!["functionAppConfig"]!["runtime"]!;
        Assert.Equal("dotnet-isolated", (string?)runtime["name"]);
        Assert.Equal("10.0", (string?)runtime["version"]);
        var plan = Assert.Single(OfType("Microsoft.Web/serverfarms"));
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
    }

    [Fact]
    public void Every_timer_schedule_setting_is_an_app_setting_with_the_local_default()
    {
        var settings = Assert.Single(OfType("Microsoft.Web/sites/config"))["properties"]!.AsObject();
        Assert.NotEmpty(_app.Catalog.TimerFunctions);
        foreach (var timer in _app.Catalog.TimerFunctions)
        {
            var key = timer.Schedule.Trim('%');
            Assert.True(settings.ContainsKey(key), $"{key} is not an app setting");
            var parameter = Template["parameters"]!.AsObject().Single(p => string.Equals(p.Key, char.ToLowerInvariant(key[0]) + key[1..], StringComparison.Ordinal));
            Assert.Equal(_app.Setting(key), (string?)parameter.Value!["defaultValue"]);
        }
    }

    [Fact]
    public void No_secret_in_parameters_or_outputs()
    {
        var parameters = Template["parameters"]!.AsObject();
        Assert.DoesNotContain(parameters, p => (string?)p.Value!["type"] is "securestring" or "secureObject"); // nothing secret is needed
        foreach (var (name, output) in Template["outputs"]!.AsObject())
        {
            Assert.DoesNotMatch("(?i)(key|secret|password|connectionstring|token)", name);
            Assert.DoesNotContain("ConnectionString", output!.ToJsonString());
        }
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(AppDeclarations.RepoRoot(), "infra", "main.parameters.json")))!;
        foreach (var (_, p) in file["parameters"]!.AsObject())
            Assert.DoesNotMatch("(?i)(AccountKey|SharedAccessSignature|password)", p!.ToJsonString());
    }
}
