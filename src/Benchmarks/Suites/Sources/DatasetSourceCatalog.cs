using System.Text.Json;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Sources;

/// <summary>The dataset source manifests under <c>datasets/sources/</c>, read and checked field by field.</summary>
public sealed class DatasetSourceCatalog(string datasetsRoot)
{
    public const string FolderName = "sources";

    public string Folder { get; } = Path.Combine(datasetsRoot, FolderName);

    public IReadOnlyList<DatasetSource> All() =>
        Directory.Exists(Folder)
            ? Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal).Select(Read).ToList()
            : [];

    public DatasetSource Get(string name)
    {
        var path = Path.Combine(Folder, name + ".json");
        if (name.Length == 0 || name.IndexOfAny(['/', '\\', '.']) >= 0 || !File.Exists(path))
            throw new UnknownDatasetException(name, All().Select(s => s.Name).ToList());
        return Read(path);
    }

    public static DatasetSource Read(string path)
    {
        DatasetSource? source;
        try
        {
            source = JsonSerializer.Deserialize<DatasetSource>(File.ReadAllBytes(path), TaskManifest.Json);
        }
        catch (JsonException e)
        {
            throw new DatasetSourceException($"{path}:{(e.LineNumber ?? 0) + 1}: {e.Message}");
        }
        if (source is null) throw new DatasetSourceException($"{path}: empty manifest");
        Check(path, source);
        return source;
    }

    private static void Check(string path, DatasetSource source)
    {
        void Fail(string field, string problem) => throw new DatasetSourceException($"{path}: field '{field}': {problem}");
        if (source.Name != Path.GetFileNameWithoutExtension(path)) Fail("name", $"'{source.Name}' must equal the file's name");
        if (!ImportFormats.Names.Contains(source.Format)) Fail("format", $"'{source.Format}' is not an import format ({string.Join(", ", ImportFormats.Names)})");
        if (!LicenceTerms.All.Contains(source.LicenceTerms)) Fail("licence_terms", $"'{source.LicenceTerms}' must be one of {string.Join(", ", LicenceTerms.All)}");
        if (string.IsNullOrWhiteSpace(source.Licence)) Fail("licence", "required: the licence as the source states it, or what it says when it states none");
        if (source.Tasks.Count == 0 || source.Tasks.Any(t => !t.StartsWith(source.Suite + "/", StringComparison.Ordinal)))
            Fail("tasks", $"every task must be named '{source.Suite}/<task>' (or '{source.Suite}/*')");
        if (source.Files.Count == 0 && string.IsNullOrWhiteSpace(source.Manual)) Fail("files", "empty: list the files, or say in 'manual' where to get them");
        if (source.ImportPath is { } importPath && !IsSafeRelative(importPath)) Fail("import_path", $"'{importPath}' must be a relative path inside the dataset's folder");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < source.Files.Count; i++)
        {
            var file = source.Files[i];
            var field = $"files[{i}]";
            if (!IsSafeRelative(file.Path)) Fail($"{field}.path", $"'{file.Path}' must be a relative path inside the dataset's folder");
            if (!seen.Add(file.Path)) Fail($"{field}.path", $"'{file.Path}' is listed twice");
            if (!Uri.TryCreate(file.Url, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
                Fail($"{field}.url", $"'{file.Url}' must be an absolute http(s) URL");
            if (file.Sha256.Length != 64 || !file.Sha256.All(Uri.IsHexDigit) || file.Sha256 != file.Sha256.ToLowerInvariant())
                Fail($"{field}.sha256", $"'{file.Sha256}' must be 64 lower-case hex digits");
            if (file.Size <= 0) Fail($"{field}.size", "must be the file's size in bytes");
            if (file.UnpackTo is { } to && (!file.Unpack || !IsSafeRelative(to))) Fail($"{field}.unpack_to", "needs unpack: true and a relative path");
            if (file.Unpack && !ArchiveKinds.IsArchive(file.Path)) Fail($"{field}.unpack", $"'{file.Path}' is not a .zip, .tar.gz or .tgz");
        }
    }

    internal static bool IsSafeRelative(string path) =>
        path.Length > 0 && !Path.IsPathRooted(path) && !path.Contains('\\')
        && path.Split('/').All(part => part.Length > 0 && part != ".." && part != ".");
}

public static class ArchiveKinds
{
    public static bool IsZip(string path) => path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

    public static bool IsTarGz(string path) =>
        path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    public static bool IsArchive(string path) => IsZip(path) || IsTarGz(path);
}

public sealed class DatasetSourceException(string message) : Exception(message);

public sealed class UnknownDatasetException(string name, IReadOnlyList<string> known)
    : Exception($"unknown dataset '{name}'; known datasets: {string.Join(", ", known)} (evals datasets list)");
