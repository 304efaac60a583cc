using System.CommandLine;
using Evals.Benchmarks.Suites;
using Evals.Benchmarks.Suites.Import;
using Evals.Runner.Runs;
using Evals.Runner.Suites;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Evals.Runner.Cli;

/// <summary>
/// <c>evals import FORMAT --path DIR [--suite NAME] [--skip-bad]</c>: read a benchmark's official files, validate every
/// line against the format and against the suite's manifests, then write the JSON Lines the manifests read and store
/// the task versions and items in PostgreSQL. Any problem without <c>--skip-bad</c>: every problem printed as
/// <c>file:line: what is wrong</c>, exit code 2, nothing written.
/// </summary>
internal static class ImportCommands
{
    public static Command Import()
    {
        var format = new Argument<string>("format") { Description = $"One of: {string.Join(", ", ImportFormats.Names)}" };
        var path = new Option<DirectoryInfo>("--path") { Description = "Folder holding the official files as published", Required = true };
        var suite = new Option<string?>("--suite") { Description = "Suite whose manifests receive the items (default: the format's own suite)" };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Leave out bad lines (each one is listed) instead of refusing the import" };
        var command = new Command("import", "Import a benchmark's official files into a suite (files under datasets/ and the database)") { format, path, suite, skipBad };
        command.SetAction(async (parse, ct) =>
        {
            IFormatReader reader;
            try
            {
                reader = ImportFormats.Get(parse.GetValue(format)!);
            }
            catch (UnknownFormatException e)
            {
                throw new BadInputException(e.Message);
            }
            var folder = parse.GetValue(path)!;
            if (!folder.Exists) throw new BadInputException($"--path {folder.FullName}: no such folder; it must hold {reader.Expects}");
            var suiteName = parse.GetValue(suite) ?? reader.DefaultSuite;
            var catalog = OpenCatalog();
            var prepared = Prepare(reader, folder.FullName, suiteName, parse.GetValue(skipBad), catalog);
            await CommitAsync(prepared, suiteName, catalog, ct);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The datasets folder from configuration, as every verb reads it (no database needed).</summary>
    internal static SuiteCatalog OpenCatalog()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables().Build();
        return new SuiteCatalog(SuiteCatalog.FindDatasetsRoot(configuration["Runner:Datasets"]));
    }

    /// <summary>Writes a prepared import's JSON Lines (all or none), stores its tasks in PostgreSQL and prints the counts.</summary>
    internal static async Task CommitAsync(PreparedImport prepared, string suiteName, SuiteCatalog catalog, CancellationToken ct)
    {
        foreach (var write in prepared.Writes)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(write.Path)!);
            await File.WriteAllTextAsync(write.Path + ".importing", write.JsonLines, ct);
        }
        foreach (var write in prepared.Writes) File.Move(write.Path + ".importing", write.Path, overwrite: true);

        var written = prepared.Writes.Select(w => $"{suiteName}/{w.Task}").ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<LoadedTask> loaded;
        IReadOnlyList<string> notImported;
        try
        {
            var available = catalog.LoadAvailable(suiteName);
            loaded = available.Suite.Tasks.Where(t => written.Contains(t.Task.FullName)).ToList();
            notImported = available.NotImported.Where(written.Contains).ToList();
        }
        catch (TaskDataException e)
        {
            throw new BadInputException($"the imported files do not load: {e.Message}");
        }
        using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
        var stored = await host.Services.GetRequiredService<SuiteStore>().SaveTasksAsync(loaded, ct);

        foreach (var write in prepared.Writes)
            Console.WriteLine($"{suiteName}/{write.Task} {write.Split}: {write.Count} items → {Path.GetRelativePath(catalog.Root, write.Path)}");
        foreach (var (task, _) in stored)
            Console.WriteLine($"stored {task.Task.FullName}@{task.Version}: {task.Task.Items.Count} items");
        foreach (var name in notImported)
            Console.WriteLine($"not runnable yet: {name} (its eval split was not in these files)");
        foreach (var line in prepared.Unplaced) Console.WriteLine($"not placed: {line}");
        foreach (var note in prepared.Notes) Console.WriteLine($"note: {note}");
        foreach (var problem in prepared.Skipped) Console.WriteLine($"skipped {problem}");
        Console.WriteLine($"imported {prepared.Writes.Sum(w => w.Count)} items of {prepared.Writes.Select(w => w.Task).Distinct().Count()} tasks into suite '{suiteName}'" +
            (prepared.Skipped.Count > 0 ? $"; {prepared.Skipped.Count} bad lines skipped" : ""));
    }

    internal sealed record PreparedImport(IReadOnlyList<ImportWrite> Writes, IReadOnlyList<string> Unplaced, IReadOnlyList<string> Notes, IReadOnlyList<string> Skipped);

    /// <summary>Reads and validates everything, writes nothing; a refusal is a <see cref="BadInputException"/> after the problems are printed.</summary>
    internal static PreparedImport Prepare(IFormatReader reader, string path, string suiteName, bool skipBad, SuiteCatalog catalog)
    {
        var result = reader.Read(path, skipBad);
        if (!result.Succeeded)
        {
            foreach (var problem in result.Problems) Console.Error.WriteLine(problem);
            var fatal = result.Problems.Any(p => p.Fatal);
            throw new BadInputException($"{result.Problems.Count} problem(s) in {path}; nothing was imported" +
                (fatal ? "" : " (--skip-bad leaves the bad lines out and lists them)"));
        }
        IReadOnlyList<(TaskManifest Manifest, string Folder)> manifests;
        try
        {
            manifests = catalog.Manifests(suiteName);
        }
        catch (Exception e) when (e is UnknownSuiteException or TaskDataException)
        {
            throw new BadInputException(e.Message);
        }
        var plan = ImportPlan.For(manifests, result);
        if (plan.Writes.Count == 0)
            throw new BadInputException($"suite '{suiteName}' has no manifest that imports what {reader.Format} read: {string.Join("; ", plan.Unplaced)}");

        // The items must also satisfy the manifests that will read them (template fields, label values, answer letters).
        var skipped = result.Problems.Select(p => p.ToString()).ToList();
        var writes = new List<ImportWrite>();
        var problems = new List<string>();
        foreach (var group in plan.Writes.GroupBy(w => w.Task))
        {
            var imported = result.Task(group.Key);
            var manifest = manifests.First(m => m.Manifest.Source is { } s && (s.Task ?? m.Manifest.Name) == group.Key).Manifest;
            var task = TaskKinds.Create(suiteName, manifest, imported.Items);
            foreach (var write in group)
            {
                var bad = new HashSet<string>(StringComparer.Ordinal);
                var line = 0;
                foreach (var item in imported.Items.Where(i => i.Split == write.Split))
                {
                    line++;
                    if (task.Check(item) is not { } problem) continue;
                    bad.Add(item.Id);
                    problems.Add($"{write.Path}:{line}: item '{item.Id}' ({imported.Name}, split {write.Split}): {problem}");
                }
                if (bad.Count == 0) writes.Add(write);
                else
                {
                    var kept = imported with { Items = imported.Items.Where(i => i.Split == write.Split && !bad.Contains(i.Id)).ToList() };
                    writes.Add(write with { JsonLines = kept.ToJsonLines(write.Split), Count = kept.Items.Count });
                }
            }
        }
        if (problems.Count > 0 && !skipBad)
        {
            foreach (var problem in problems) Console.Error.WriteLine(problem);
            throw new BadInputException($"{problems.Count} item(s) do not fit the manifests of suite '{suiteName}'; nothing was imported");
        }
        skipped.AddRange(problems);
        return new PreparedImport(writes, plan.Unplaced, result.Notes, skipped);
    }
}
