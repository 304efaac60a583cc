using System.Security.Cryptography;
using Evals.Benchmarks.Suites.Sources;
using Evals.Runner.Runs;
using Spectre.Console;

namespace Evals.Runner.Datasets;

/// <summary>
/// Brings a dataset's pinned files into the cache — from the cache itself when they are already there, from
/// <c>--from DIR</c>, or downloaded (through the mirror for Hugging Face URLs) — checks every SHA-256 and unpacks
/// archives. Returns the path the import reads. A mismatch deletes the bad file and refuses the pull.
/// </summary>
public sealed class DatasetPuller(string cacheRoot, DatasetMirror mirror, string? fromFolder, FileDownloader downloader, TextWriter output)
{
    public string FolderOf(DatasetSource source) => Path.Combine(cacheRoot, source.Name);

    public async Task<string> PullAsync(DatasetSource source, CancellationToken ct)
    {
        if (source.Files.Count == 0) return Manual(source);
        var folder = FolderOf(source);
        var missing = new List<SourceFile>();
        foreach (var file in source.Files)
        {
            var path = Path.Combine(folder, file.Path);
            if (!File.Exists(path) || await Sha256Async(path, ct) != file.Sha256) missing.Add(file);
        }
        if (missing.Count > 0 && source.ShowsLicenceFirst)
            output.WriteLine($"licence of {source.Name} ({Describe(source.LicenceTerms)}): {source.Licence}");
        if (missing.Count > 0)
        {
            if (fromFolder is not null) await CopyFromAsync(source, missing, folder, ct);
            else await DownloadAsync(source, missing, folder, ct);
        }
        else output.WriteLine($"{source.Name}: {source.Files.Count} file(s) already in {folder}, hashes checked");
        foreach (var archive in source.Files.Where(f => f.Unpack))
        {
            var into = archive.UnpackTo is { } to ? Path.Combine(folder, to) : folder;
            SafeArchive.Extract(Path.Combine(folder, archive.Path), into);
        }
        return source.ImportPath is { } importPath ? Path.Combine(folder, importPath) : folder;
    }

    private string Manual(DatasetSource source)
    {
        if (fromFolder is null)
            throw new BadInputException($"{source.Name} cannot be downloaded automatically: {source.Manual}");
        var path = Path.Combine(fromFolder, source.Name) is var named && Directory.Exists(named) ? named : fromFolder;
        output.WriteLine($"licence of {source.Name} ({Describe(source.LicenceTerms)}): {source.Licence}");
        output.WriteLine($"{source.Name}: no pinned files; importing {path} as it is (no hash to check)");
        return source.ImportPath is { } importPath ? Path.Combine(path, importPath) : path;
    }

    private async Task CopyFromAsync(DatasetSource source, IReadOnlyList<SourceFile> files, string folder, CancellationToken ct)
    {
        foreach (var file in files)
        {
            var candidates = new[] { Path.Combine(fromFolder!, file.Path), Path.Combine(fromFolder!, source.Name, file.Path) };
            var found = candidates.FirstOrDefault(File.Exists)
                ?? throw new BadInputException($"{source.Name}: {file.Path} is not in --from {fromFolder} (looked for {string.Join(" and ", candidates)}); nothing was imported");
            var target = Path.Combine(folder, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(found, target + ".part", overwrite: true);
            await VerifyAsync(source, file, target + ".part", found, ct);
            File.Move(target + ".part", target, overwrite: true);
        }
        output.WriteLine($"{source.Name}: {files.Count} file(s) copied from {fromFolder}, hashes checked");
    }

    private async Task DownloadAsync(DatasetSource source, IReadOnlyList<SourceFile> files, string folder, CancellationToken ct)
    {
        async Task One(SourceFile file, Action<long> progress)
        {
            var url = mirror.Rewrite(file.Url);
            var target = Path.Combine(folder, file.Path);
            await downloader.DownloadAsync(url, target, progress, ct);
            await VerifyAsync(source, file, target, url.ToString(), ct);
        }
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Plain lines for logs and CI.
            foreach (var file in files)
            {
                output.WriteLine($"downloading {source.Name}/{file.Path} ({file.Size:N0} bytes) from {mirror.Rewrite(file.Url)}");
                await One(file, _ => { });
            }
            output.WriteLine($"{source.Name}: {files.Count} file(s) downloaded, hashes checked");
            return;
        }
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var total = context.AddTask(Markup.Escape($"{source.Name} ({files.Count} files)"), maxValue: files.Sum(f => f.Size));
                var finished = 0L;
                foreach (var file in files)
                {
                    await One(file, done => total.Value = finished + done);
                    finished += file.Size;
                    total.Value = finished;
                }
            });
    }

    private async Task VerifyAsync(DatasetSource source, SourceFile file, string path, string origin, CancellationToken ct)
    {
        var actual = await Sha256Async(path, ct);
        if (actual == file.Sha256) return;
        File.Delete(path);
        throw new BadInputException($"{source.Name}: {file.Path} (from {origin}) has SHA-256 {actual}, but datasets/sources/{source.Name}.json pins {file.Sha256}; the file was deleted and nothing was imported");
    }

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    public static string Describe(string terms) => terms switch
    {
        LicenceTerms.NonCommercial => "non-commercial",
        LicenceTerms.Unstated => "no licence stated",
        _ => "open",
    };
}
