using System.CommandLine;
using Evals.Benchmarks.Suites.Import;
using Evals.Benchmarks.Suites.Sources;
using Evals.Runner.Datasets;
using Evals.Runner.Runs;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Evals.Runner.Cli;

/// <summary>
/// <c>evals datasets list</c> and <c>evals datasets pull NAME… [--mirror URL] [--from DIR] [--cache DIR]</c>: the
/// known datasets (<c>datasets/sources/</c>), and fetching their official files into a cache outside the repository,
/// checked against the pinned SHA-256, then the same import as <c>evals import</c>.
/// </summary>
internal static class DatasetCommands
{
    public static Command Datasets() => new("datasets", "Known datasets: list them, pull (download, verify, import) them") { List(), Pull() };

    private static Command List()
    {
        var command = new Command("list", "Every known dataset: suite, licence as its source states it, size, whether imported (read from PostgreSQL)");
        command.SetAction(async (_, ct) =>
        {
            var sources = Catalog().All();
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            await using var db = await host.Services.GetRequiredService<IDbContextFactory<EvalsDbContext>>().CreateDbContextAsync(ct);
            var stored = await db.Tasks.AsNoTracking().Select(t => t.Name).Distinct().ToListAsync(ct);
            var table = new Table().AddColumns("dataset", "suite", "format", "licence", "size", "imported", "files");
            foreach (var source in sources)
            {
                var imported = stored.Count(source.Fills);
                table.AddRow(
                    Markup.Escape(source.Name), Markup.Escape(source.Suite), Markup.Escape(source.Format),
                    Markup.Escape($"{DatasetPuller.Describe(source.LicenceTerms)}: {source.Licence}"),
                    source.Files.Count == 0 ? "?" : Size(source.Size),
                    imported == 0 ? "no" : $"yes ({imported} task{(imported == 1 ? "" : "s")})",
                    source.Files.Count == 0 ? "manual" : $"{source.Files.Count} pinned");
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"{sources.Count} datasets; `evals datasets pull NAME` downloads, verifies and imports one");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Pull()
    {
        var names = new Argument<string[]>("name") { Description = "Dataset names (evals datasets list)", Arity = ArgumentArity.OneOrMore };
        var mirror = new Option<string?>("--mirror") { Description = "Base URL replacing https://huggingface.co (default: Evals__DatasetMirror, then HF_ENDPOINT)" };
        var from = new Option<DirectoryInfo?>("--from") { Description = "Take the files from this folder instead of downloading (offline machines): DIR/<path> or DIR/<name>/<path>" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder (default: Evals__DatasetCache, else $XDG_CACHE_HOME/evals/datasets or ~/.cache/evals/datasets)" };
        var command = new Command("pull", "Download datasets' official files (or take them from --from), check their SHA-256, unpack, import as `evals import` does") { names, mirror, from, cache };
        command.SetAction(async (parse, ct) =>
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var catalog = Catalog();
            var sources = parse.GetValue(names)!.Distinct(StringComparer.Ordinal).Select(n => Get(catalog, n)).ToList();
            var fromFolder = parse.GetValue(from);
            if (fromFolder is { Exists: false }) throw new BadInputException($"--from {fromFolder.FullName}: no such folder");
            var puller = new DatasetPuller(
                DatasetCacheFolder.Resolve(parse.GetValue(cache), configuration["Evals:DatasetCache"]),
                DatasetMirror.From(parse.GetValue(mirror), configuration["Evals:DatasetMirror"], Environment.GetEnvironmentVariable("HF_ENDPOINT")),
                fromFolder?.FullName,
                new FileDownloader(Http.Value, TimeSpan.FromMilliseconds(500)),
                Console.Out);

            // Every file of every named dataset is fetched and verified, and every import validated, before anything is written.
            var suites = ImportCommands.OpenCatalog();
            var prepared = new List<(DatasetSource Source, ImportCommands.PreparedImport Import)>();
            foreach (var source in sources)
            {
                var path = await puller.PullAsync(source, ct);
                prepared.Add((source, ImportCommands.Prepare(ImportFormats.Get(source.Format), path, source.Suite, skipBad: false, suites)));
            }
            foreach (var (source, import) in prepared)
            {
                Console.WriteLine($"importing {source.Name} ({source.Format}) into suite '{source.Suite}'");
                await ImportCommands.CommitAsync(import, source.Suite, suites, ct);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static readonly Lazy<HttpClient> Http = new(() =>
    {
        var client = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("evals-datasets/1");
        return client;
    });

    private static DatasetSourceCatalog Catalog()
    {
        var catalog = new DatasetSourceCatalog(ImportCommands.OpenCatalog().Root);
        try
        {
            catalog.All();
        }
        catch (DatasetSourceException e)
        {
            throw new BadInputException(e.Message);
        }
        return catalog;
    }

    private static DatasetSource Get(DatasetSourceCatalog catalog, string name)
    {
        try
        {
            return catalog.Get(name);
        }
        catch (UnknownDatasetException e)
        {
            throw new BadInputException(e.Message);
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes / 1024.0 / 1024.0:0.#} MiB",
    };
}
