using Matching.Security;

namespace Matching.Hosting;

/// <summary>
/// The app's subcommands: <c>token</c> mints a local development token; <c>package</c> writes the Functions
/// package (host.json and one function.json folder per function) from the app's own declarations; <c>zip</c>
/// zips a published package with its Unix permissions.
/// </summary>
public sealed record Commands(string Name, IReadOnlyDictionary<string, string> Options)
{
    public static Commands? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("token" or "package" or "zip")) return null;
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
                _ => await WritePackageAsync(app),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
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
        Console.WriteLine(DevelopmentTokens.Mint(settings, subject, role, org, TimeSpan.FromHours(hours)));
        return 0;
    }

    private async Task<int> WriteZipAsync()
    {
        var from = Options.GetValueOrDefault("from") ?? throw new ArgumentException("zip needs --from (the published package folder).");
        var to = Options.GetValueOrDefault("to") ?? throw new ArgumentException("zip needs --to (the zip to write).");
        var bytes = FunctionPackage.WriteZip(from, to);
        await Console.Out.WriteLineAsync($"Wrote {Path.GetFullPath(to)}: {bytes / 1024.0 / 1024.0:0.0} MiB ({bytes:N0} bytes)");
        return 0;
    }

    private async Task<int> WritePackageAsync(WebApplication app)
    {
        var output = Options.GetValueOrDefault("out") ?? AppContext.BaseDirectory;
        var functions = FunctionPackage.Describe(app);
        FunctionPackage.Write(output, functions, Path.Combine(AppContext.BaseDirectory, "host.json"));
        await Console.Out.WriteLineAsync($"Wrote {functions.Count} functions to {Path.GetFullPath(output)}");
        return 0;
    }
}
