using Evals.Storage;
using Evals.Storage.Entities;
using Evals.TestKit;
using Evals.Web.Tests.Browser;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Evals.Web.Tests.Admin;

/// <summary>Registering models and starting runs from the admin pages, in Chromium; the public runs list starts nothing.</summary>
[Collection(BrowserTests.Name)]
public sealed class AdminPagesTests(DatabaseFixture database, Chromium chromium) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task An_admin_registers_models_with_the_clis_checks_and_starts_a_run()
    {
        var adminKey = ApiKey.NewKey();
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            db.ApiKeys.Add(new ApiKey { Name = "admin", Scope = "admin", Hash = ApiKey.HashOf(adminKey), Prefix = adminKey[..10] });
            await db.SaveChangesAsync();
        }
        await using var app = await WebApp.StartAsync(database.ConnectionString, new Dictionary<string, string> { ["Evals__SeedSmokeRuns"] = "false" });

        var page = await chromium.NewPageAsync(app.Client.BaseAddress!);
        await page.GotoAsync("");
        Assert.Equal(0, await page.Locator("main form").CountAsync());
        await page.GotoAsync("admin/models");
        Assert.Contains("/admin/signin", page.Url);
        await page.FillAsync("input[name=key]", adminKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/admin/models");

        async Task RegisterAsync(string name, string spec, string family = "", string checkpoint = "")
        {
            await page.FillAsync("input[name='Posted.Name']", name);
            await page.FillAsync("input[name='Posted.Spec']", spec);
            await page.FillAsync("input[name='Posted.Family']", family);
            await page.FillAsync("input[name='Posted.Checkpoint']", checkpoint);
            await page.ClickAsync("form button[type=submit]");
            await page.WaitForLoadStateAsync();
        }

        await RegisterAsync("bad:name", "baseline:first");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("--name 'bad:name' must be non-empty and contain no ':'");
        await RegisterAsync("ckpt-a", "baseline:random?seed=4&colour=red");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("colour");
        await RegisterAsync("ckpt-a", "baseline:random?seed=4", "fam", "step-100");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("ckpt-a = baseline:random?seed=4");
        await Assertions.Expect(page.Locator("table.models")).ToContainTextAsync("step-100");
        await RegisterAsync("ckpt-a", "baseline:first");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("already registered");
        await Chromium.ScreenshotAsync(page, "admin-models");

        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var models = await db.Models.AsNoTracking().ToListAsync();
            var model = Assert.Single(models);
            Assert.Equal(("ckpt-a", "baseline:random?seed=4", "fam", "step-100"), (model.Name, model.Spec, model.Family, model.Checkpoint));
        }

        await page.GotoAsync("admin/runs/new");
        await page.FillAsync("input[name='Posted.Model']", "ckpt-a");
        await page.FillAsync("input[name='Posted.Suite']", "no-such-suite");
        await page.ClickAsync("form button[type=submit]");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("no-such-suite");

        await page.FillAsync("input[name='Posted.Model']", "ckpt-a");
        await page.FillAsync("input[name='Posted.Suite']", "smoke");
        await page.FillAsync("input[name='Posted.Limit']", "2");
        await page.ClickAsync("form button[type=submit]");
        // Starting a run writes it and schedules its durable job before the page moves on (pages get 90 s to load: Chromium).
        await page.WaitForURLAsync("**/runs/*-*");
        var runId = Guid.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..]);
        await using (var db = Migrator.CreateContext(database.ConnectionString))
        {
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            Assert.Equal(("ckpt-a", 6), (run.ModelName, run.TotalItems));
            Assert.NotNull(run.ModelId);
        }
        await Assertions.Expect(page.Locator(".status.succeeded")).ToBeVisibleAsync(new() { Timeout = 90_000 });
    }
}
