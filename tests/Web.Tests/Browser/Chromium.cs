using Microsoft.Playwright;

namespace Evals.Web.Tests.Browser;

/// <summary>
/// Playwright driving the system's Chromium (Debian's <c>chromium</c>, installed by scripts/setup.sh); Playwright's own
/// browser downloads are never used. Screenshots go to <see cref="ArtifactsDirectory"/>.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public static string ExecutablePath => Environment.GetEnvironmentVariable("EVALS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Where screenshots are kept: <c>EVALS_TEST_ARTIFACTS</c>, else TestResults/screenshots at the repository root.</summary>
    public static string ArtifactsDirectory
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("EVALS_TEST_ARTIFACTS") is { Length: > 0 } env
                ? Path.Combine(env, "screenshots")
                : Path.Combine(TestKit.RepoPaths.Root, "TestResults", "screenshots");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"Chromium not found at {ExecutablePath}: run scripts/setup.sh (apt-get install chromium fonts-wqy-microhei) or set EVALS_CHROMIUM");
        // CI machines are shared and slow: give assertions the same patience as actions.
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A fresh context (its own cookies: one visitor) with a page on <paramref name="baseUrl"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri baseUrl)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl.ToString(),
            Locale = "zh-CN",
            ViewportSize = new ViewportSize { Width = 1440, Height = 1000 },
        });
        context.SetDefaultTimeout(30_000);
        // Loading a page (goto, reload, waiting for a URL) may take longer while Runner.Tests loads the same two cores:
        // in one CI run a sign-in's redirect had its address within 30 s but not its load event.
        context.SetDefaultNavigationTimeout(90_000);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Follows a link by loading its address. A click on a prerendered page while its Blazor circuit is still starting
    /// can be swallowed (seen on loaded CI machines), which would test the machine's load rather than the page.
    /// </summary>
    public static async Task FollowLinkAsync(IPage page, string selector)
    {
        var link = page.Locator(selector).First;
        await Assertions.Expect(link).ToBeVisibleAsync();
        var href = await link.GetAttributeAsync("href") ?? throw new InvalidOperationException($"{selector} has no href");
        await page.GotoAsync(href.TrimStart('/'));
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
