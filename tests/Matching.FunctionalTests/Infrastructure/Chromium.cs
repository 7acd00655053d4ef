using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, opening a page as a person's browser would: it runs the page's scripts for a while
/// (virtual time), then gives the document as it stands, what the console said, and every URL the browser asked for
/// (from its network log), so that a test sees whether anything left the machine.
/// </summary>
public static partial class Chromium
{
    public const string Path = "/usr/bin/chromium";

    /// <param name="Requested">Every URL asked for, but the browser's own calls home (<see cref="BrowsersOwn"/>), which no page makes.</param>
    public sealed record Rendered(string Dom, IReadOnlyList<string> Console, IReadOnlyList<Uri> Requested);

    /// <summary>Where headless Chromium itself calls (its clock, its updater, its account check, now and then its "optimization
    /// guide"), whatever the page: seen in its network log on an empty page. Exact hosts, so that a page fetching Google's
    /// fonts would still be seen.</summary>
    public static readonly IReadOnlySet<string> BrowsersOwn = new HashSet<string>
    {
        "clients2.google.com", "accounts.google.com", "update.googleapis.com", "optimizationguide-pa.googleapis.com",
    };

    public static async Task<Rendered> RenderAsync(Uri page, TimeSpan budget)
    {
        var work = Directory.CreateTempSubdirectory("matching-chromium-").FullName;
        try
        {
            var netLog = System.IO.Path.Combine(work, "net.json");
            var start = new ProcessStartInfo(Path)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var arg in new[]
                     {
                         "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                         "--disable-features=OptimizationGuideModelDownloading,OptimizationHintsFetching,OptimizationTargetPrediction,OptimizationHints", $"--user-data-dir={System.IO.Path.Combine(work, "profile")}",
                         "--enable-logging=stderr", "--v=0", $"--log-net-log={netLog}", $"--virtual-time-budget={(int)budget.TotalMilliseconds}",
                         "--window-size=1280,900", "--dump-dom", page.ToString(),
                     })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(timeout.Token);
            var console = (await errors).Split('\n').Where(l => l.Contains("CONSOLE", StringComparison.Ordinal)).ToList();
            var requested = File.Exists(netLog)
                ? Url().Matches(await File.ReadAllTextAsync(netLog)).Select(m => Uri.TryCreate(m.Groups[1].Value, UriKind.Absolute, out var u) ? u : null)
                    .OfType<Uri>().Where(u => !BrowsersOwn.Contains(u.Host)).Distinct().ToList()
                : [];
            return new Rendered(await output, console, requested);
        }
        finally { try { Directory.Delete(work, recursive: true); } catch (IOException) { } }
    }

    [GeneratedRegex("\"(?:url|original_url)\":\"((?:https?|wss?)://[^\"]+)\"")]
    private static partial Regex Url();
}
