using Matching.Security;

namespace Matching.Hosting;

/// <summary>
/// The app's subcommands: <c>token</c> mints a local development token; <c>zip</c> zips a published package
/// with its Unix permissions (the build machine may have no zip tool); <c>generate</c> writes a synthetic training file,
/// <c>train</c> trains and evaluates a matching model, <c>evaluate</c> reports a model on a labelled file and
/// <c>promote</c> makes a model current in Blob Storage, <c>flatten</c> writes the flat file serving reads beside an
/// older model zip (docs/matching-model.md).
/// </summary>
public sealed record Commands(string Name, IReadOnlyDictionary<string, string> Options)
{
    public static Commands? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("token" or "zip" or "generate" or "train" or "evaluate" or "promote" or "flatten")) return null;
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected '--option value', got '{args[i]}'.");
            options[args[i][2..]] = args[++i];
        }
        return new Commands(args[0], options);
    }

    public async Task<int> RunAsync(WebApplication app)
    {
        try
        {
            return Name switch
            {
                "token" => MintToken(app.Services.GetRequiredService<AuthSettings>()),
                "zip" => await WriteZipAsync(),
                "generate" => Generate(),
                "train" => Train(),
                "evaluate" => Evaluate(),
                "flatten" => Flatten(),
                _ => await PromoteAsync(app),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidDataException or IOException or FormatException)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }
    }

    private int MintToken(AuthSettings settings)
    {
        var roleText = Options.GetValueOrDefault("role") ?? throw new ArgumentException("token needs --role (provider, ngo, mentor, learner, admin).");
        if (!Caller.TryParseRole(roleText, out var role)) throw new ArgumentException($"Unknown role '{roleText}'.");
        var org = Options.GetValueOrDefault("org") ?? throw new ArgumentException("token needs --org (an organisation id, e.g. konexio).");
        if (!Caller.IsOrganisationId(org)) throw new ArgumentException("An organisation id has letters, digits, '.', '_' and '-' only.");
        var subject = Options.GetValueOrDefault("sub") ?? $"{role.ToString().ToLowerInvariant()}-{org}";
        var hours = Options.TryGetValue("hours", out var h) && double.TryParse(h, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 ? v : 8;
        if (hours > AuthSetup.DevelopmentTokenMaxLifetime.TotalHours)
            throw new ArgumentException($"--hours is at most {AuthSetup.DevelopmentTokenMaxLifetime.TotalHours:0}: longer development tokens are refused.");
        Console.WriteLine(DevelopmentTokens.Mint(settings, subject, role, org, TimeSpan.FromHours(hours)));
        return 0;
    }

    /// <summary>Writes a SYNTHETIC training file (seeded): profiles and outcomes drawn from the written-down model.</summary>
    private int Generate()
    {
        var output = Options.GetValueOrDefault("out") ?? throw new ArgumentException("generate needs --out (a .jsonl file).");
        int Int(string name, int fallback) => Options.TryGetValue(name, out var v) && int.TryParse(v, out var n) && n > 0 ? n : fallback;
        var options = new Mentoring.Engine.SyntheticData.Options(Int("mentors", 800), Int("learners", 2500), Int("candidates", 12), Int("seed", 42));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        using var writer = new StreamWriter(output);
        var (mentors, learners, outcomes) = Mentoring.Engine.SyntheticData.Write(writer, options, Mentoring.Engine.WeeklyTime.WeekStart(DateTimeOffset.UtcNow));
        Console.WriteLine($"Wrote SYNTHETIC data to {Path.GetFullPath(output)}: {mentors} mentors, {learners} learners, {outcomes} outcomes (seed {options.Seed}).");
        return 0;
    }

    /// <summary>Trains a model from a training file, evaluates it against the rule baseline, writes {version}.zip and {version}.json.</summary>
    private int Train()
    {
        var input = Options.GetValueOrDefault("input") ?? throw new ArgumentException("train needs --input (a .jsonl training file).");
        var output = Options.GetValueOrDefault("out") ?? throw new ArgumentException("train needs --out (a folder for the model).");
        var version = Options.GetValueOrDefault("version") ?? $"v{DateTime.UtcNow:yyyyMMddHHmmss}";
        using var reader = new StreamReader(input);
        var data = Mentoring.Engine.TrainingData.Read(reader);
        foreach (var problem in data.Problems.Take(20)) Console.Error.WriteLine(problem);
        var report = Mentoring.Engine.Evaluation.TrainAndEvaluate(data, output, version, DateTimeOffset.UtcNow, new());
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { report.Version, report.TrainExamples, report.TestExamples, report.TestRequests, report.Model, report.Baseline, skippedLines = data.Problems.Count },
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>Reports a model and the rule baseline on a labelled file (for example newer, held-out outcomes).</summary>
    private int Evaluate()
    {
        var input = Options.GetValueOrDefault("input") ?? throw new ArgumentException("evaluate needs --input (a .jsonl file of labelled outcomes).");
        var modelPath = Options.GetValueOrDefault("model") ?? throw new ArgumentException("evaluate needs --model (a model .zip with its .json beside it).");
        using var reader = new StreamReader(input);
        var data = Mentoring.Engine.TrainingData.Read(reader);
        var model = Mentoring.Engine.Evaluation.LoadFile(modelPath).Model;
        var week = Mentoring.Engine.WeeklyTime.WeekStart(DateTimeOffset.UtcNow);
        var examples = data.Examples(week);
        var pool = data.Mentors.Values.Select(m => new Mentoring.Engine.PreparedMentor(m, week)).ToList();
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
        {
            requests = examples.Count, pairs = examples.Sum(e => e.Pairs.Count), skippedLines = data.Problems.Count,
            model = Mentoring.Engine.Evaluation.Measure(model, examples, pool, week),
            baseline = Mentoring.Engine.Evaluation.Measure(new Mentoring.Engine.RuleScorer(), examples, pool, week),
        }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>Uploads a model (zip and report) to Blob Storage and makes it current: running instances pick it up without a restart.</summary>
    private async Task<int> PromoteAsync(WebApplication app)
    {
        var modelPath = Options.GetValueOrDefault("model") ?? throw new ArgumentException("promote needs --model (a model .zip with its .json beside it).");
        var reportPath = Mentoring.Engine.Evaluation.ReportPath(modelPath);
        var (model, report) = Mentoring.Engine.Evaluation.LoadFile(modelPath); // refuse a model that does not load
        if (model.Version != report.Version) throw new InvalidDataException($"The flat file is version {model.Version}, its report {report.Version}: write it again with flatten.");
        var container = app.Services.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>().GetBlobContainerClient(Mentoring.ModelStore.Container);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient($"{report.Version}.zip").UploadAsync(Path.ChangeExtension(modelPath, ".zip"), overwrite: true);
        await container.GetBlobClient(report.Version + Mentoring.Engine.FlatModelFile.Extension).UploadAsync(Mentoring.Engine.FlatModelFile.PathBeside(modelPath), overwrite: true);
        await container.GetBlobClient($"{report.Version}.json").UploadAsync(reportPath, overwrite: true);
        await container.GetBlobClient(Mentoring.ModelStore.Pointer).UploadAsync(BinaryData.FromString($"{{\"version\":\"{report.Version}\"}}"), overwrite: true);
        await Console.Out.WriteLineAsync($"Promoted {report.Version}: instances switch within Mentoring:ModelCheckSeconds.");
        return 0;
    }

    /// <summary>Writes {version}.flat beside a model zip trained before flat files existed (reads the zip with ML.NET).</summary>
    private int Flatten()
    {
        var modelPath = Options.GetValueOrDefault("model") ?? throw new ArgumentException("flatten needs --model (a model .zip with its .json beside it).");
        var report = System.Text.Json.JsonSerializer.Deserialize<Mentoring.Engine.ModelReport>(File.ReadAllText(Mentoring.Engine.Evaluation.ReportPath(modelPath)), Mentoring.Engine.TrainingData.Json)!;
        var model = Mentoring.Engine.Evaluation.LoadMlNet(modelPath, report);
        var flat = Mentoring.Engine.FlatModelFile.PathBeside(modelPath);
        File.WriteAllBytes(flat, Mentoring.Engine.FlatModelFile.Write(model));
        Console.WriteLine($"Wrote {Path.GetFullPath(flat)}: {model.Trees} trees.");
        return 0;
    }

    private async Task<int> WriteZipAsync()
    {
        var from = Options.GetValueOrDefault("from") ?? throw new ArgumentException("zip needs --from (the published package folder).");
        var to = Options.GetValueOrDefault("to") ?? throw new ArgumentException("zip needs --to (the zip to write).");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(to))!);
        File.Delete(to);
        // On Unix the entries keep their file modes (the apphost stays executable); dot-folders such as
        // .azurefunctions (the host's extension bundle for this app) are included.
        System.IO.Compression.ZipFile.CreateFromDirectory(from, to, System.IO.Compression.CompressionLevel.SmallestSize, includeBaseDirectory: false);
        var bytes = new FileInfo(to).Length;
        await Console.Out.WriteLineAsync($"Wrote {Path.GetFullPath(to)}: {bytes / 1024.0 / 1024.0:0.0} MiB ({bytes:N0} bytes)");
        return 0;
    }
}
