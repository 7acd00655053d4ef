using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Matching.FunctionalTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright, as a person's phone browser: 320 px wide by default, French, and checks a
/// page the way the pages issue asks (axe-core finds nothing serious or critical; nothing wider than the screen).
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    public IBrowser Chromium { get; }

    private Browser(IPlaywright playwright, IBrowser chromium) => (_playwright, Chromium) = (playwright, chromium);

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Infrastructure.Chromium.Path,
            Headless = true,
            // Without the background-networking flags Chromium's own connections are refused by the closed network.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage"],
        });
        return new Browser(playwright, chromium);
    }

    /// <summary>A fresh phone: its own cookies, 320 px wide unless told, script on or off.</summary>
    public Task<IBrowserContext> PhoneAsync(bool javaScript = true, int width = 320) =>
        Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = 720 }, Locale = "fr-FR", JavaScriptEnabled = javaScript, HasTouch = true,
        });

    /// <summary>axe-core's serious and critical violations on the page, as "rule: where" lines (empty when none).</summary>
    public static async Task<IReadOnlyList<string>> SeriousViolationsAsync(IPage page)
    {
        var result = await page.RunAxe();
        return result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}").ToList();
    }

    /// <summary>How much wider than the screen the page is (0 when nothing scrolls sideways).</summary>
    public static async Task<int> OverflowAsync(IPage page) =>
        await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");

    /// <summary>A page's markup, as the app served it, in Chromium at 320 px: axe-core finds nothing serious, nothing scrolls sideways.</summary>
    public static async Task ExpectGoodMarkupAsync(PageClient.Page page)
    {
        await using var chromium = await LaunchAsync();
        await using var phone = await chromium.PhoneAsync();
        var tab = await phone.NewPageAsync();
        await tab.SetContentAsync(page.Document.DocumentElement.OuterHtml);
        var violations = await SeriousViolationsAsync(tab);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        Assert.Equal(0, await OverflowAsync(tab));
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
    }
}
