using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using Matching.Engine;
using Matching.Training;
using Matching.Security;
using Matching.Studies;
using Microsoft.Extensions.DependencyInjection;

namespace Matching.Commands;

/// <summary>
/// The app's commands (a tool of their own: the function app ships neither them nor the studies), parsed by System.CommandLine (help with <c>--help</c>, every option checked):
/// <c>token</c> mints a local development token; <c>zip</c> zips a published package with its Unix permissions (the
/// build machine may have no zip tool); <c>generate</c> writes a synthetic training file; <c>train</c> trains and
/// evaluates a matching model; <c>evaluate</c> reports a model on a labelled file; <c>promote</c> makes a model current
/// in Blob Storage; <c>flatten</c> writes the flat file serving reads beside an older model zip (docs/matching-model.md).
/// Exit codes: 0 done; 1 the command line is wrong (the parser says what); 2 the command could not do its work (it says why).
/// </summary>
public static class Commands
{
    public const int Done = 0, WrongCommandLine = 1, Failed = 2;

    /// <summary>Runs the command line; <paramref name="app"/> builds the app for the commands that need its services.</summary>
    public static Task<int> RunAsync(string[] args, Func<IServiceProvider> app) => Root(app).Parse(args).InvokeAsync();

    private static RootCommand Root(Func<IServiceProvider> app)
    {
        var root = new RootCommand("Matching's commands: development tokens, packaging, synthetic worlds, training and the model registry.");
        root.Subcommands.Add(Token(app));
        root.Subcommands.Add(Zip());
        root.Subcommands.Add(Generate());
        root.Subcommands.Add(Train());
        root.Subcommands.Add(Evaluate());
        root.Subcommands.Add(Promote(app));
        root.Subcommands.Add(Retrain(app));
        root.Subcommands.Add(Flatten());
        root.Subcommands.Add(Simulate());
        return root;
    }

    // ---- options ---------------------------------------------------------------------------------------------------

    private static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    private static Option<string> ExistingFile(string name, string description)
    {
        var option = Required(name, description);
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } path && !File.Exists(path)) r.AddError($"{name}: there is no file at {path}.");
        });
        return option;
    }

    private static Option<int> Count(string name, string description, int fallback)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => fallback };
        option.Validators.Add(r =>
        {
            if (Value<int>(r) is < 1) r.AddError($"{name} must be at least 1.");
        });
        return option;
    }

    /// <summary>An option's value for a validator; null when it is not a value of its type (the parser names that itself).</summary>
    private static T? Value<T>(OptionResult result) where T : struct
    {
        try { return result.GetValueOrDefault<T>(); }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>A command's work: its own failures become a message and exit code 2, not a stack trace.</summary>
    private static void Does(Command command, Func<ParseResult, CancellationToken, Task<int>> work) =>
        command.SetAction(async (result, ct) =>
        {
            try { return await work(result, ct); }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidDataException or IOException or FormatException
                                           or JsonException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return Failed;
            }
        });

    private static readonly JsonSerializerOptions Output = new(TrainingData.Json)
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // for people: "+0.047", not "\u002B0.047"
    };

    /// <summary>A step of a long command, on a terminal only: CI logs and redirected output stay quiet.</summary>
    private static void Progress(string step)
    {
        if (!Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null) Console.Error.WriteLine($"... {step}");
    }

    // ---- the commands ----------------------------------------------------------------------------------------------

    private static Command Token(Func<IServiceProvider> app)
    {
        var role = new Option<string?>("--role") { Description = "provider, ngo, mentor, learner, admin or operator; with --org. Without both, the token names a person only (--sub), whose memberships decide" };
        role.Validators.Add(r =>
        {
            if (!Caller.TryParseRole(r.GetValueOrDefault<string>() ?? "", out _)) r.AddError("--role is one of provider, ngo, mentor, learner, admin, operator.");
        });
        var org = new Option<string?>("--org") { Description = "an organisation id, e.g. konexio; with --role" };
        org.Validators.Add(r =>
        {
            if (!Caller.IsOrganisationId(r.GetValueOrDefault<string>() ?? "")) r.AddError("--org has letters, digits, '.', '_' and '-' only.");
        });
        var subject = new Option<string?>("--sub") { Description = "the subject (default: role-org)" };
        subject.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not { Length: >= 1 and <= 100 } s || s.Any(char.IsControl)) r.AddError("--sub is 1 to 100 characters.");
        });
        var person = new Option<string?>("--person") { Description = "instead of --sub: a person of the local OpenID provider by name (the demo's karim, claire, ...), as the pages know them" };
        person.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not { Length: >= 1 and <= 60 } p || !p.All(char.IsAsciiLetterOrDigit)) r.AddError("--person is 1 to 60 letters and digits.");
        });
        var hours = new Option<double>("--hours") { Description = "lifetime in hours", DefaultValueFactory = _ => 8 };
        hours.Validators.Add(r =>
        {
            if (Value<double>(r) is { } h && (h <= 0 || h > AuthSetup.DevelopmentTokenMaxLifetime.TotalHours))
                r.AddError($"--hours is more than 0 and at most {AuthSetup.DevelopmentTokenMaxLifetime.TotalHours:0}: longer development tokens are refused.");
        });
        var command = new Command("token", "Mints a development token the local host accepts.") { role, org, subject, person, hours };
        command.Validators.Add(r =>
        {
            var (hasRole, hasOrg) = (r.GetValue(role) is not null, r.GetValue(org) is not null);
            if (r.GetValue(subject) is not null && r.GetValue(person) is not null) r.AddError("Give --sub or --person, not both.");
            else if (hasRole != hasOrg) r.AddError("--role and --org go together.");
            else if (!hasRole && r.GetValue(subject) is null) r.AddError("Give --role and --org, or --sub alone for a person whose memberships decide.");
        });
        Does(command, (r, _) =>
        {
            var settings = app().GetRequiredService<AuthSettings>();
            var lifetime = TimeSpan.FromHours(r.GetValue(hours));
            if (r.GetValue(role) is not { } roleText)
            {
                Console.WriteLine(DevelopmentTokens.Mint(settings, r.GetValue(subject)!, null, null, lifetime));
                return Task.FromResult(Done);
            }
            Caller.TryParseRole(roleText, out var parsed);
            var organisation = r.GetValue(org)!;
            var sub = r.GetValue(person) is { } name ? Matching.Demo.DemoData.Subject(name, Matching.Demo.DemoData.LocalProvider) : r.GetValue(subject);
            Console.WriteLine(DevelopmentTokens.Mint(settings, sub ?? $"{parsed.ToString().ToLowerInvariant()}-{organisation}", parsed, organisation, lifetime));
            return Task.FromResult(Done);
        });
        return command;
    }

    private static Command Zip()
    {
        var from = Required("--from", "the published package folder");
        var to = Required("--to", "the zip to write");
        var command = new Command("zip", "Zips a published package, keeping Unix file modes.") { from, to };
        Does(command, async (r, _) =>
        {
            var (source, target) = (r.GetValue(from)!, r.GetValue(to)!);
            if (!Directory.Exists(source)) throw new IOException($"There is no folder at {source}.");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
            File.Delete(target);
            // On Unix the entries keep their file modes (the apphost stays executable); dot-folders such as
            // .azurefunctions (the host's extension bundle for this app) are included.
            System.IO.Compression.ZipFile.CreateFromDirectory(source, target, System.IO.Compression.CompressionLevel.SmallestSize, includeBaseDirectory: false);
            var bytes = new FileInfo(target).Length;
            await Console.Out.WriteLineAsync($"Wrote {Path.GetFullPath(target)}: {bytes / 1024.0 / 1024.0:0.0} MiB ({bytes:N0} bytes)");
            return Done;
        });
        return command;
    }

    private static Command Generate()
    {
        var output = Required("--out", "the .jsonl file to write");
        var mentors = Count("--mentors", "how many mentors", 800);
        var learners = Count("--learners", "how many learners (one request each)", 2500);
        var candidates = Count("--candidates", "proposals shown per request", 12);
        var seed = new Option<int>("--seed") { Description = "the random seed", DefaultValueFactory = _ => 42 };
        var declines = new Option<bool>("--declines") { Description = "mentors decide on each offer and decline with reasons (too far, language, no time, outside expertise)" };
        var world = new Option<int>("--world") { Description = "1: the world the shipped model learnt; 2: one whose hidden rules differ; 3: a third family of rules (expertise lists, French levels)", DefaultValueFactory = _ => 1 };
        world.Validators.Add(r =>
        {
            if (Value<int>(r) is not (1 or 2 or 3)) r.AddError("--world is 1, 2 or 3.");
        });
        var command = new Command("generate", "Writes a SYNTHETIC training file, drawn from the written-down model of what makes a pair work.")
            { output, mentors, learners, candidates, seed, declines, world };
        Does(command, (r, _) =>
        {
            var path = r.GetValue(output)!;
            var options = new SyntheticData.Options(r.GetValue(mentors), r.GetValue(learners), r.GetValue(candidates), r.GetValue(seed), r.GetValue(declines), r.GetValue(world));
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            using var writer = new StreamWriter(path);
            var (m, l, o) = SyntheticData.Write(writer, options, WeeklyTime.WeekStart(DateTimeOffset.UtcNow));
            Console.WriteLine($"Wrote SYNTHETIC data to {Path.GetFullPath(path)}: {m} mentors, {l} learners, {o} outcomes (seed {options.Seed}).");
            return Task.FromResult(Done);
        });
        return command;
    }

    /// <summary>Reads a training file, its data problems on standard error.</summary>
    private static TrainingData Read(string path)
    {
        Progress($"reading {path}");
        using var reader = new StreamReader(path);
        var data = TrainingData.Read(reader);
        foreach (var problem in data.Problems.Take(20)) Console.Error.WriteLine(problem);
        if (data.Problems.Count > 20) Console.Error.WriteLine($"... and {data.Problems.Count - 20} more data problems");
        data.RefuseIfMostlyProblems(path);
        if (data.Outcomes.Count == 0) throw new InvalidDataException($"{path} holds no usable outcome ({data.Problems.Count} data problems).");
        return data;
    }

    private static Command Train()
    {
        var input = ExistingFile("--input", "a .jsonl training file (docs/training-data.md)");
        var output = Required("--out", "the folder for the model");
        var version = new Option<string>("--version") { Description = "the model's version (by default v and the time)", DefaultValueFactory = _ => $"v{DateTime.UtcNow:yyyyMMddHHmmss}" };
        version.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not { Length: > 0 } v || v.IndexOfAny(['/', '\\', ' ']) >= 0) r.AddError("--version is a name without spaces or slashes.");
        });
        var oneSided = new Option<bool>("--one-sided") { Description = "learn only whether a pair worked, even when the data could teach the mentor's acceptance apart" };
        var command = new Command("train", "Chooses the tree settings by validation, trains a model (two-sided when the data allows) on all but the most recent 20% of requests, evaluates it against the rule baseline on those, refits it on every row, writes {version}.zip, .flat and .json (and .accept.zip for the acceptance side).")
            { input, output, version, oneSided };
        Does(command, (r, _) =>
        {
            var path = r.GetValue(input)!;
            var data = Read(path);
            Progress($"training on {data.Outcomes.Count:N0} outcomes");
            var report = Evaluation.TrainAndEvaluate(data, r.GetValue(output)!, r.GetValue(version)!, DateTimeOffset.UtcNow, new(TwoSided: !r.GetValue(oneSided)),
                $"{Path.GetFileName(path)}: {data.Outcomes.Count} outcomes, {data.Problems.Count} data problems");
            if (report.TestRequests < 30)
                Console.Error.WriteLine($"Warning: only {report.TestRequests} held-out requests: the metrics below say little. Train on more requests.");
            if (report.Settings is { FellBack: true } fellBack) Console.Error.WriteLine($"Warning: the tree settings were not searched: {fellBack}.");
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                report.Version, report.Data, report.Sides, report.Settings, report.TrainExamples, report.TestExamples, report.TestRequests, report.FittedOnExamples,
                report.Model, report.Baseline, dataProblems = data.Problems.Count,
            }, Output));
            return Task.FromResult(Done);
        });
        return command;
    }

    private static Command Evaluate()
    {
        var input = ExistingFile("--input", "a .jsonl file of labelled outcomes");
        var model = Required("--model", "a model (its .zip, with the .flat and .json beside it)");
        var command = new Command("evaluate", "Reports a model and the rule baseline on a labelled file (for example newer, held-out outcomes).") { input, model };
        Does(command, (r, _) =>
        {
            var data = Read(r.GetValue(input)!);
            var loaded = Evaluation.LoadFile(r.GetValue(model)!).Model;
            var week = WeeklyTime.WeekStart(DateTimeOffset.UtcNow);
            var examples = data.Examples(week);
            if (examples.Count < 30) Console.Error.WriteLine($"Warning: only {examples.Count} requests: the metrics below say little.");
            var pool = data.Mentors.Values.Select(m => new PreparedMentor(m, week)).ToList();
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                requests = examples.Count, pairs = examples.Sum(e => e.Pairs.Count), dataProblems = data.Problems.Count,
                model = Evaluation.Measure(loaded, examples, pool, week),
                baseline = Evaluation.Measure(new RuleScorer(), examples, pool, week),
            }, Output));
            return Task.FromResult(Done);
        });
        return command;
    }

    private static Command Promote(Func<IServiceProvider> app)
    {
        var model = Required("--model", "a model (its .zip, with the .flat and .json beside it)");
        var command = new Command("promote", "Uploads a model to Blob Storage and makes it current: running instances switch without a restart.") { model };
        Does(command, async (r, ct) =>
        {
            var modelPath = r.GetValue(model)!;
            var (loaded, report) = Evaluation.LoadFile(modelPath); // refuse a model that does not load
            if (loaded.Version != report.Version) throw new InvalidDataException($"The flat file is version {loaded.Version}, its report {report.Version}: write it again with flatten.");
            if (report.Model.Auc <= 0.5)
                throw new InvalidDataException($"{report.Version} ranks its held-out pairs no better than chance (AUC {report.Model.Auc:0.000}): not promoted.");
            var registry = app().GetRequiredService<Mentoring.ModelRegistry>();
            await registry.UploadAsync(modelPath, report, ct);
            await registry.MakeCurrentAsync(report.Version, "promote command", ct);
            await Console.Out.WriteLineAsync($"Promoted {report.Version}: instances switch within Mentoring:ModelCheckSeconds.");
            return Done;
        });
        return command;
    }

    private static Command Retrain(Func<IServiceProvider> app)
    {
        var input = ExistingFile("--input", "the exported outcomes (GET /api/exports/training-data), or any training file");
        var output = Required("--out", "the folder for the candidate");
        var version = new Option<string>("--version") { Description = "the candidate's version (by default v and the time)", DefaultValueFactory = _ => $"v{DateTime.UtcNow:yyyyMMddHHmmss}" };
        var margin = new Option<double>("--margin") { Description = "the NDCG@5 gain over the model in service the candidate needs", DefaultValueFactory = _ => new GateOptions().NdcgMargin };
        margin.Validators.Add(r =>
        {
            if (Value<double>(r) is < 0 or > 1) r.AddError("--margin is between 0 and 1.");
        });
        var dryRun = new Option<bool>("--dry-run") { Description = "judge the candidate, promote nothing; needs no storage (judged against --current)" };
        var currentModel = new Option<string?>("--current") { Description = "with --dry-run: the model to judge against (by default the shipped one, or Mentoring:ModelPath)" };
        var prior = new Option<int>("--with-prior") { Description = "add this many requests of the synthetic world to the training part while real outcomes are few (never to the held-out part)" };
        prior.Validators.Add(r =>
        {
            if (Value<int>(r) is < 0 or > 100_000) r.AddError("--with-prior is 0 to 100000.");
        });
        var command = new Command("retrain",
            "Trains a candidate as train does (settings chosen by validation, fitted on all but the most recent 20% of requests), judges it against the model in service and the rules on those, refits it on every row, and promotes it only if the gate lets it through.")
            { input, output, version, margin, dryRun, currentModel, prior };
        Does(command, async (r, ct) =>
        {
            var path = r.GetValue(input)!;
            var data = Read(path);
            var dry = r.GetValue(dryRun);
            // A dry run touches no storage: nothing is uploaded, and the model to beat comes from a file.
            var services = dry ? null : app();
            var current = services is null
                ? FlatModelFile.ReadFile(r.GetValue(currentModel) ?? Mentoring.ModelStore.ShippedPath(Environment.GetEnvironmentVariable("Mentoring__ModelPath")))
                : await services.GetRequiredService<Mentoring.ModelStore>().CurrentAsync(ct);
            Progress($"training a candidate on {data.Outcomes.Count:N0} outcomes and judging it against {current.Name}");
            var name = r.GetValue(version)!;
            var (report, decision) = Retraining.Run(data, current, r.GetValue(output)!, name, DateTimeOffset.UtcNow, new GateOptions(NdcgMargin: r.GetValue(margin)),
                $"{Path.GetFileName(path)}: {data.Outcomes.Count} outcomes, {data.Problems.Count} data problems", Retraining.Sha256(path), r.GetValue(prior));
            var promote = decision.Promote && !dry;
            if (services is not null)
            {
                var registry = services.GetRequiredService<Mentoring.ModelRegistry>();
                await registry.UploadAsync(Path.Combine(r.GetValue(output)!, $"{name}.zip"), report, ct); // rejected ones too: the registry keeps every version
                if (promote) await registry.MakeCurrentAsync(name, "retrain gate", ct);
            }
            if (report.Settings is { FellBack: true } fellBack) Console.Error.WriteLine($"Warning: the tree settings were not searched: {fellBack}.");
            Console.WriteLine(JsonSerializer.Serialize(new { report.Version, report.Sides, report.Settings, report.FittedOnExamples, promoted = promote, decision }, Output));
            Console.Error.WriteLine(decision.Promote ? $"{name} {(promote ? "promoted" : "would be promoted")}: {decision.Reason}." : $"{name} rejected: {decision.Reason}.");
            return Done;
        });
        return command;
    }

    private static Command Simulate()
    {
        var rounds = Count("--rounds", "rounds of requests, each followed by retraining", 6);
        var requests = Count("--requests", "requests per round", 500);
        var mentors = Count("--mentors", "mentors at the start", 400);
        var newMentors = Count("--new-mentors", "mentors who join each round, with no record", 60);
        var share = new Option<double>("--share") { Description = "the share of requests whose last proposal explores ranks 6-10", DefaultValueFactory = _ => Exploration.DefaultShare };
        share.Validators.Add(r =>
        {
            if (Value<double>(r) is <= 0 or > 1) r.AddError("--share is above 0 and at most 1.");
        });
        var seed = new Option<int>("--seed") { Description = "the random seed", DefaultValueFactory = _ => 42 };
        var command = new Command("simulate",
            "On a SYNTHETIC world: rounds of request, proposals, outcome and retraining, without exploration, with it, and with it weighted by inverse propensity; prints a table per round.")
            { rounds, requests, mentors, newMentors, share, seed };
        Does(command, (r, _) =>
        {
            var options = new ExplorationSimulation.Options(r.GetValue(rounds), r.GetValue(requests), r.GetValue(mentors), r.GetValue(newMentors), r.GetValue(share), r.GetValue(seed));
            Console.WriteLine("| arm | round | outcomes | proposals to new mentors | new mentors proposed at least once | NDCG@5 / oracle's | among new mentors |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var row in ExplorationSimulation.Run(options, Progress))
                Console.WriteLine($"| {row.Arm} | {row.Round} | {row.Outcomes:N0} | {row.NewShown:0.0%} | {row.NewKnown} of {row.NewMentors} | {row.OracleShare:0.000} | {row.NewOracleShare:0.000} |");
            return Task.FromResult(Done);
        });
        return command;
    }

    private static Command Flatten()
    {
        var model = ExistingFile("--model", "a model .zip with its .json beside it");
        var command = new Command("flatten", "Writes {version}.flat beside a model zip trained before flat files existed (reads the zip with ML.NET).") { model };
        Does(command, (r, _) =>
        {
            var modelPath = r.GetValue(model)!;
            var reportPath = Evaluation.ReportPath(modelPath);
            if (!File.Exists(reportPath)) throw new IOException($"No report {Path.GetFileName(reportPath)} beside {modelPath}.");
            var report = JsonSerializer.Deserialize<ModelReport>(File.ReadAllText(reportPath), TrainingData.Json)!;
            var loaded = Evaluation.LoadMlNet(modelPath, report);
            var flat = FlatModelFile.PathBeside(modelPath);
            File.WriteAllBytes(flat, FlatModelFile.Write(loaded));
            Console.WriteLine($"Wrote {Path.GetFullPath(flat)}: {loaded.Trees} trees.");
            return Task.FromResult(Done);
        });
        return command;
    }
}
