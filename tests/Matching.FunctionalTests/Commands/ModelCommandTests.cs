using System.Text.Json;
using System.Diagnostics;
using Azure.Storage.Blobs;
using Matching.FunctionalTests.Infrastructure;

namespace Matching.FunctionalTests;

/// <summary>
/// The model commands as an operator runs them (the app as its own process): promote uploads a model and makes it
/// current in Blob Storage (own Azurite: the shared one keeps its model); wrong command lines and data that cannot
/// train or be judged are refused with the reason and an exit code.
/// </summary>
public sealed class ModelCommandTests
{
    [Fact]
    public async Task Promote_uploads_the_model_and_points_current_at_it_and_refuses_a_broken_one()
    {
        await using var azurite = await Azurite.StartAsync();
        var folder = Directory.CreateTempSubdirectory("matching-promote-").FullName;
        try
        {
            var shipped = Path.Combine(AppContext.BaseDirectory, "Mentoring", "Model", "matching-v3");
            File.Copy(shipped + ".zip", Path.Combine(folder, "v7.zip"));
            File.WriteAllText(Path.Combine(folder, "v7.json"), File.ReadAllText(shipped + ".json").Replace("\"version\": \"v3\"", "\"version\": \"v7\""));
            var (refused, why) = await RunAsync(azurite, "promote", "--model", Path.Combine(folder, "v7.zip"));
            Assert.NotEqual(0, refused); // no flat file yet: serving could not read it
            Assert.Contains("flatten", why);
            var (flattened, written) = await RunAsync(azurite, "flatten", "--model", Path.Combine(folder, "v7.zip"));
            Assert.True(flattened == 0, written);
            var (code, output) = await RunAsync(azurite, "promote", "--model", Path.Combine(folder, "v7.zip"));
            Assert.True(code == 0, output);

            var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("models");
            Assert.Equal("""{"version":"v7"}""", (await container.GetBlobClient("current.json").DownloadContentAsync()).Value.Content.ToString());
            Assert.True((await container.GetBlobClient("v7.zip").ExistsAsync()).Value);
            Assert.True((await container.GetBlobClient("v7.json").ExistsAsync()).Value);
            Assert.Equal("v7", Matching.Engine.FlatModelFile.Read((await container.GetBlobClient("v7.flat").DownloadContentAsync()).Value.Content.ToArray(), "v7.flat").Version);

            // A model no better than chance on its held-out pairs is not promoted.
            File.Copy(Path.Combine(folder, "v7.zip"), Path.Combine(folder, "v9.zip"));
            File.WriteAllText(Path.Combine(folder, "v9.json"), System.Text.RegularExpressions.Regex.Replace(
                File.ReadAllText(Path.Combine(folder, "v7.json")).Replace("\"version\": \"v7\"", "\"version\": \"v9\""), "(\"model\": \\{[^}]*?\"auc\": )[0-9.]+", "${1}0.5"));
            Assert.Equal(0, (await RunAsync(azurite, "flatten", "--model", Path.Combine(folder, "v9.zip"))).Code);
            var (chance, chanceSays) = await RunAsync(azurite, "promote", "--model", Path.Combine(folder, "v9.zip"));
            Assert.Equal(2, chance);
            Assert.Contains("no better than chance", chanceSays);

            File.WriteAllText(Path.Combine(folder, "v8.zip"), "not a model");
            File.Copy(Path.Combine(folder, "v7.json"), Path.Combine(folder, "v8.json"));
            var (broken, _) = await RunAsync(azurite, "promote", "--model", Path.Combine(folder, "v8.zip"));
            Assert.NotEqual(0, broken);
            Assert.Equal("""{"version":"v7"}""", (await container.GetBlobClient("current.json").DownloadContentAsync()).Value.Content.ToString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Task<(int Code, string Output)> RunAsync(Azurite azurite, params string[] args) => RunWithAsync(azurite.ConnectionString, args);

    /// <summary>A command that needs no storage.</summary>
    private static Task<(int Code, string Output)> OfflineAsync(params string[] args) => RunWithAsync(null, args);

    private static async Task<(int Code, string Output)> RunWithAsync(string? storage, params string[] args)
    {
        var (code, stdout, stderr) = await RunSplitAsync(storage, args);
        return (code, stdout + stderr);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunSplitAsync(string? storage, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Matching.Commands.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        if (storage is not null) start.Environment["AzureWebJobsStorage"] = storage;
        using var process = Process.Start(start)!;
        var (stdout, stderr) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task A_wrong_command_line_is_refused_with_help_and_exit_code_1()
    {
        var (typo, typoSays) = await OfflineAsync("evalute", "--input", "x.jsonl");
        Assert.Equal(1, typo);
        Assert.Contains("'evalute'", typoSays);
        foreach (var bad in new[] { "0", "abc", "-3" })
        {
            var (code, says) = await OfflineAsync("generate", "--out", Path.Combine(Path.GetTempPath(), "never.jsonl"), "--learners", bad);
            Assert.True(code == 1, says);
            Assert.Contains("--learners", says);
        }
        var (unknown, unknownSays) = await OfflineAsync("generate", "--out", "x.jsonl", "--learnrs", "5");
        Assert.Equal(1, unknown);
        Assert.Contains("'--learnrs'", unknownSays);
        var (help, helpSays) = await OfflineAsync("--help");
        Assert.Equal(0, help);
        foreach (var command in new[] { "token", "zip", "generate", "train", "evaluate", "promote", "retrain", "flatten", "simulate" }) Assert.Contains(command, helpSays);
        var (badShare, badShareSays) = await OfflineAsync("simulate", "--share", "0");
        Assert.Equal(1, badShare);
        Assert.Contains("--share", badShareSays);
        var (longToken, longSays) = await OfflineAsync("token", "--role", "ngo", "--org", "konexio", "--hours", "48");
        Assert.Equal(1, longToken);
        Assert.Contains("at most 24", longSays);
    }

    [Fact]
    public async Task Simulate_prints_a_row_per_round_for_each_arm_on_the_same_world()
    {
        var (code, says) = await OfflineAsync("simulate", "--rounds", "2", "--requests", "80", "--mentors", "80", "--new-mentors", "20", "--seed", "3");
        Assert.True(code == 0, says);
        var rows = says.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| arm", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal(6, rows.Count); // three arms, two rounds
        Assert.Equal(3, rows.Select(r => r[1]).Distinct().Count());
        Assert.All(rows, r => Assert.InRange(double.Parse(r[6], System.Globalization.CultureInfo.InvariantCulture), 0.3, 1.0)); // NDCG@5 as a share of the oracle's
        Assert.All(rows.Where(r => r[2] == "1"), r => Assert.EndsWith("of 20", r[5])); // the mentors who joined in round 1
    }

    [Fact]
    public async Task Train_and_evaluate_refuse_data_they_cannot_learn_from_or_judge_and_name_what_is_missing()
    {
        var folder = Directory.CreateTempSubdirectory("matching-commands-").FullName;
        try
        {
            var file = Path.Combine(folder, "synthetic.jsonl");
            Assert.Equal(0, (await OfflineAsync("generate", "--out", file, "--mentors", "60", "--learners", "200", "--seed", "3")).Code);
            var lines = File.ReadAllLines(file);

            // Every outcome worked: nothing to learn from; refused, no model written.
            var allWorked = Path.Combine(folder, "all-worked.jsonl");
            File.WriteAllLines(allWorked, lines.Select(l => l.Contains("\"kind\":\"outcome\"", StringComparison.Ordinal)
                ? System.Text.RegularExpressions.Regex.Replace(l.Replace("\"accepted\":false", "\"accepted\":true").Replace("\"sessionHeld\":false", "\"sessionHeld\":true"),
                    "\"rating\":[0-9]", "\"rating\":5") : l));
            var (constant, constantSays) = await OfflineAsync("train", "--input", allWorked, "--out", folder, "--version", "constant");
            Assert.True(constant == 2, constantSays);
            Assert.Contains("nothing to learn", constantSays);
            Assert.False(File.Exists(Path.Combine(folder, "constant.zip")));

            // Two files joined: the ids repeat, each a data problem with its line; so many that the file is refused whole
            // (issue 29, item 7: above 5% of the lines it is another format, not a few bad lines).
            var joined = Path.Combine(folder, "joined.jsonl");
            Assert.Equal(0, (await OfflineAsync("generate", "--out", joined, "--mentors", "60", "--learners", "200", "--seed", "4")).Code);
            File.AppendAllLines(joined, lines);
            var (refused, refusedSays) = await OfflineAsync("train", "--input", joined, "--out", folder, "--version", "joined");
            Assert.True(refused == 2, refusedSays);
            Assert.Contains("appears again", refusedSays);
            Assert.Contains("have a problem, more than the 5% a training file may have", refusedSays);
            Assert.False(File.Exists(Path.Combine(folder, "joined.zip")));

            // A few bad lines in a sound file are said and skipped; the model is trained.
            var fewBad = Path.Combine(folder, "few-bad.jsonl");
            File.WriteAllLines(fewBad, lines.Concat(lines.Where(l => l.Contains("\"kind\":\"mentor\"", StringComparison.Ordinal)).Take(3)
                .Select(l => l.Replace("\"yearsOfExperience\"", "\"years\"", StringComparison.Ordinal))));
            var (trained, trainSays) = await OfflineAsync("train", "--input", fewBad, "--out", folder, "--version", "joined");
            Assert.True(trained == 0, trainSays);
            Assert.Contains("has an unknown field 'years'", trainSays);
            using (var output = JsonDocument.Parse(trainSays[trainSays.IndexOf('{')..(trainSays.LastIndexOf('}') + 1)]))
            {
                Assert.Equal(3, output.RootElement.GetProperty("dataProblems").GetInt32());
                Assert.True(output.RootElement.GetProperty("model").TryGetProperty("ndcg5", out _)); // the names of the report file
                Assert.StartsWith("few-bad.jsonl:", output.RootElement.GetProperty("data").GetString());
            }

            var (missing, missingSays) = await OfflineAsync("evaluate", "--input", file, "--model", Path.Combine(folder, "nothing.zip"));
            Assert.Equal(2, missing);
            Assert.Contains("no model at", missingSays);
            var empty = Path.Combine(folder, "no-outcomes.jsonl");
            File.WriteAllLines(empty, lines.Where(l => !l.Contains("\"kind\":\"outcome\"", StringComparison.Ordinal)));
            var (nothing, nothingSays) = await OfflineAsync("evaluate", "--input", empty, "--model", Path.Combine(folder, "joined.zip"));
            Assert.Equal(2, nothing);
            Assert.Contains("no usable outcome", nothingSays);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Retraining promotes a candidate that beats the model in service on held-out requests (a model trained on few
    /// requests, then a candidate on many), and rejects one trained on shuffled labels: the model in service stays.
    /// </summary>
    [Fact]
    public async Task Retrain_promotes_a_better_candidate_and_rejects_one_trained_on_shuffled_labels()
    {
        await using var azurite = await Azurite.StartAsync();
        var folder = Directory.CreateTempSubdirectory("matching-retrain-").FullName;
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("models");
        async Task<string> Current() => (await container.GetBlobClient("current.json").DownloadContentAsync()).Value.Content.ToString();
        try
        {
            string File(string name) => Path.Combine(folder, name);
            Assert.Equal(0, (await OfflineAsync("generate", "--out", File("few.jsonl"), "--mentors", "300", "--learners", "150", "--seed", "5")).Code);
            Assert.Equal(0, (await OfflineAsync("train", "--input", File("few.jsonl"), "--out", folder, "--version", "few")).Code);
            Assert.Equal(0, (await RunAsync(azurite, "promote", "--model", File("few.zip"))).Code);

            Assert.Equal(0, (await OfflineAsync("generate", "--out", File("many.jsonl"), "--learners", "2500", "--seed", "6")).Code);
            var (code, says) = await RunAsync(azurite, "retrain", "--input", File("many.jsonl"), "--out", folder, "--version", "many");
            Assert.True(code == 0, says);
            using (var output = JsonDocument.Parse(says[says.IndexOf('{')..(says.LastIndexOf('}') + 1)]))
            {
                var decision = output.RootElement.GetProperty("decision");
                Assert.True(output.RootElement.GetProperty("promoted").GetBoolean(), says);
                Assert.True(decision.GetProperty("ndcgGainLow").GetDouble() > 0, says);
                Assert.Equal("ml-few", decision.GetProperty("current").GetProperty("scorer").GetString());
                var (trained, heldOut) = (decision.GetProperty("trainRequests").GetInt32(), decision.GetProperty("heldOutRequests").GetInt32());
                Assert.Equal(trained + heldOut - (int)Math.Round((trained + heldOut) * 0.8), heldOut); // the most recent 20% of the requests
                // Trained as train trains: settings searched on the two-sided model, the candidate written refitted on every row.
                var settings = output.RootElement.GetProperty("settings");
                Assert.Equal(6, settings.GetProperty("trials").GetArrayLength());
                Assert.Equal("two-sided", settings.GetProperty("sides").GetString());
                Assert.True(output.RootElement.GetProperty("fittedOnExamples").GetInt32() > decision.GetProperty("trainRequests").GetInt32() * 10, says);
            }
            Assert.Equal("""{"version":"many"}""", await Current());
            var report = JsonDocument.Parse((await container.GetBlobClient("many.json").DownloadContentAsync()).Value.Content.ToString());
            Assert.True(report.RootElement.GetProperty("gate").GetProperty("promote").GetBoolean());

            // The same world with its outcomes shuffled across pairs: nothing real to learn, the gate says no.
            var random = new Random(1);
            var lines = System.IO.File.ReadAllLines(File("many.jsonl"));
            var outcomes = lines.Select((l, i) => (l, i)).Where(x => x.l.Contains("\"kind\":\"outcome\"", StringComparison.Ordinal)).Select(x => x.i).ToList();
            var labels = outcomes.Select(i => System.Text.Json.Nodes.JsonNode.Parse(lines[i])!).Select(n => (n["accepted"]!.GetValue<bool>(), n["sessionHeld"]!.GetValue<bool>(), n["rating"]?.GetValue<int>()))
                .OrderBy(_ => random.Next()).ToList();
            foreach (var (i, (accepted, held, rating)) in outcomes.Zip(labels))
            {
                var node = System.Text.Json.Nodes.JsonNode.Parse(lines[i])!.AsObject();
                (node["accepted"], node["sessionHeld"], node["rating"]) = (accepted, held, rating);
                lines[i] = node.ToJsonString();
            }
            System.IO.File.WriteAllLines(File("shuffled.jsonl"), lines);
            var (shuffled, shuffledSays) = await RunAsync(azurite, "retrain", "--input", File("shuffled.jsonl"), "--out", folder, "--version", "shuffled");
            Assert.True(shuffled == 0, shuffledSays);
            Assert.Contains("\"promoted\": false", shuffledSays);
            Assert.Contains("shuffled rejected", shuffledSays);
            Assert.Equal("""{"version":"many"}""", await Current());

            // The registry has all three; a platform operator rolls back to the first, and serving follows.
            await using var app = new MatchingApp(azurite.ConnectionString, new Dictionary<string, string?> { ["Matching:LocalListeners"] = "false" });
            var admin = app.ClientFor(Matching.Security.Role.Operator, "platform");
            var versions = JsonDocument.Parse(await admin.GetStringAsync("/api/models")).RootElement.EnumerateArray()
                .ToDictionary(v => v.GetProperty("version").GetString()!, v => (Decision: v.GetProperty("decision").GetString(), Current: v.GetProperty("current").GetBoolean()));
            Assert.Equal(("uploaded", false), versions["few"]);
            Assert.Equal(("passed", true), versions["many"]);
            Assert.Equal(("rejected", false), versions["shuffled"]);
            Assert.Equal("two-sided", JsonDocument.Parse(await admin.GetStringAsync("/api/models")).RootElement.EnumerateArray()
                .Single(v => v.GetProperty("version").GetString() == "many").GetProperty("sides").GetString()); // every synthetic outcome was an offer
            var rolledBack = await admin.PostAsync("/api/models/few/current", null);
            Assert.Equal(System.Net.HttpStatusCode.OK, rolledBack.StatusCode);
            Assert.StartsWith("operator ", JsonDocument.Parse(await rolledBack.Content.ReadAsStringAsync()).RootElement.GetProperty("promotedBy").GetString());
            Assert.Equal("""{"version":"few"}""", await Current());

            // While real outcomes are few, the synthetic prior may join the training part (never the held-out one).
            // A dry run needs no storage (none is reachable here) and prints only its JSON on standard output.
            var (withPrior, withPriorOut, withPriorErr) = await RunSplitAsync(null, "retrain", "--input", File("few.jsonl"), "--out", folder, "--version", "fewprior", "--with-prior", "300", "--dry-run");
            var withPriorSays = withPriorOut + withPriorErr;
            Assert.True(withPrior == 0, withPriorSays);
            using (var printed = JsonDocument.Parse(withPriorOut)) Assert.False(printed.RootElement.GetProperty("promoted").GetBoolean());
            Assert.Contains("Warning: the tree settings were not searched", withPriorErr); // 120 real requests: too few to validate on, said
            Assert.Contains("fewer than 30", withPriorErr);
            using (var prior = JsonDocument.Parse(System.IO.File.ReadAllText(File("fewprior.json"))))
            {
                Assert.EndsWith("plus 300 SYNTHETIC prior requests in training", prior.RootElement.GetProperty("data").GetString());
                Assert.True(prior.RootElement.GetProperty("trainExamples").GetInt32() > 3000, withPriorSays); // about 12 pairs a synthetic request
                var gate = prior.RootElement.GetProperty("gate");
                var (trained, heldOut) = (gate.GetProperty("trainRequests").GetInt32(), gate.GetProperty("heldOutRequests").GetInt32());
                Assert.Equal(JsonValueKind.Number, gate.GetProperty("priorGain").ValueKind); // judged against the same candidate without the prior
                Assert.True(trained + heldOut <= 150, withPriorSays); // requests counted are the real ones only
                Assert.Equal(trained + heldOut - (int)Math.Round((trained + heldOut) * 0.8), heldOut); // the most recent 20% of them
            }
            Assert.Equal("""{"version":"few"}""", await Current()); // a dry run promotes nothing
            await HttpPlatformTests.AssertProblem(await admin.PostAsync("/api/models/nothing-here/current", null), System.Net.HttpStatusCode.NotFound, "urn:matching:problem:not-found");
            await HttpPlatformTests.AssertProblem(await app.ClientFor(Matching.Security.Role.Ngo, "konexio").GetAsync("/api/models"), System.Net.HttpStatusCode.Forbidden, "urn:matching:problem:forbidden");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
