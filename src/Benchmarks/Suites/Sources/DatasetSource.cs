using System.Text.Json.Serialization;

namespace Evals.Benchmarks.Suites.Sources;

/// <summary>
/// Where one dataset's official files come from (<c>datasets/sources/&lt;name&gt;.json</c>): the files with their URLs and
/// pinned SHA-256, the import that reads them, and the licence as the source states it. See datasets/README.md.
/// </summary>
public sealed record DatasetSource
{
    public required string Name { get; init; }
    public required string Suite { get; init; }

    /// <summary>The FORMAT of <c>evals import FORMAT</c> that reads the files.</summary>
    public required string Format { get; init; }

    /// <summary>The tasks the import fills, <c>suite/task</c>, or <c>suite/*</c> for every task of a subject table.</summary>
    public required IReadOnlyList<string> Tasks { get; init; }

    public string? Description { get; init; }
    public required string Licence { get; init; }

    /// <summary><see cref="LicenceTerms"/>: decides whether the licence is shown before the first download.</summary>
    public required string LicenceTerms { get; init; }

    public string? Homepage { get; init; }

    /// <summary>How the pinned files relate to the official release (a subset, a re-pack, a vendored copy).</summary>
    public string? Note { get; init; }

    /// <summary>What <c>--path</c> the import gets, relative to the dataset's folder (default: the folder itself).</summary>
    public string? ImportPath { get; init; }

    /// <summary>For a dataset whose files cannot be fetched automatically: where and how to get them.</summary>
    public string? Manual { get; init; }

    public IReadOnlyList<SourceFile> Files { get; init; } = [];

    [JsonIgnore]
    public long Size => Files.Sum(f => f.Size);

    [JsonIgnore]
    public bool ShowsLicenceFirst => LicenceTerms is Sources.LicenceTerms.NonCommercial or Sources.LicenceTerms.Unstated;

    /// <summary>Whether a stored task named <paramref name="taskName"/> is one this dataset fills.</summary>
    public bool Fills(string taskName) => Tasks.Any(t => t.EndsWith("/*", StringComparison.Ordinal)
        ? taskName.StartsWith(t[..^1], StringComparison.Ordinal)
        : t == taskName);
}

/// <summary>One file of a dataset: where it lands in the dataset's folder, where it is fetched from, and its pin.</summary>
public sealed record SourceFile
{
    /// <summary>Relative path inside the dataset's folder (the layout the import reads).</summary>
    public required string Path { get; init; }
    public required string Url { get; init; }
    public required string Sha256 { get; init; }
    public required long Size { get; init; }

    /// <summary>A zip or tar.gz to unpack into the dataset's folder (under <see cref="UnpackTo"/>) after its hash is checked.</summary>
    public bool Unpack { get; init; }
    public string? UnpackTo { get; init; }
}

public static class LicenceTerms
{
    public const string Open = "open";
    public const string NonCommercial = "non_commercial";
    public const string Unstated = "unstated";

    public static readonly IReadOnlyList<string> All = [Open, NonCommercial, Unstated];
}
