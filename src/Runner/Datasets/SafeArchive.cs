using System.Formats.Tar;
using System.IO.Compression;
using Evals.Benchmarks.Suites.Sources;
using Evals.Runner.Runs;

namespace Evals.Runner.Datasets;

/// <summary>
/// Unpacks a zip or tar.gz into a folder only if every entry stays inside it: no <c>../</c>, no absolute paths, no
/// symbolic or hard link whose target leaves the folder, no devices. All entries are checked before anything is written.
/// </summary>
public static class SafeArchive
{
    public static void Extract(string archive, string target)
    {
        var root = Path.GetFullPath(target);
        if (ArchiveKinds.IsZip(archive)) ExtractZip(archive, root);
        else if (ArchiveKinds.IsTarGz(archive)) ExtractTarGz(archive, root);
        else throw new BadInputException($"{archive}: not a .zip, .tar.gz or .tgz");
    }

    private static void ExtractZip(string archive, string root)
    {
        using var zip = ZipFile.OpenRead(archive);
        // Unix mode bits sit in the high half of the external attributes; 0xA000 is a symbolic link.
        static bool IsLink(ZipArchiveEntry e) => ((e.ExternalAttributes >> 16) & 0xF000) == 0xA000;
        foreach (var entry in zip.Entries)
        {
            Inside(archive, root, entry.FullName);
            if (IsLink(entry)) throw Refused(archive, entry.FullName, "is a symbolic link (links are not unpacked from zip files)");
        }
        foreach (var entry in zip.Entries)
        {
            var path = Inside(archive, root, entry.FullName);
            if (entry.FullName.EndsWith('/')) { Directory.CreateDirectory(path); continue; }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            entry.ExtractToFile(path, overwrite: true);
        }
    }

    private static void ExtractTarGz(string archive, string root)
    {
        foreach (var entry in Entries(archive))
        {
            var path = Inside(archive, root, entry.Name);
            switch (entry.EntryType)
            {
                case TarEntryType.SymbolicLink:
                    if (Path.IsPathRooted(entry.LinkName)) throw Refused(archive, entry.Name, $"links to the absolute path '{entry.LinkName}'");
                    Inside(archive, root, Path.GetRelativePath(root, Path.Combine(Path.GetDirectoryName(path)!, entry.LinkName)), entry.Name, $"links to '{entry.LinkName}', outside the folder");
                    break;
                case TarEntryType.HardLink:
                    Inside(archive, root, entry.LinkName, entry.Name, $"is a hard link to '{entry.LinkName}', outside the folder");
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile or TarEntryType.Directory
                    or TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
                    break;
                default:
                    throw Refused(archive, entry.Name, $"is a {entry.EntryType} entry, which is not unpacked");
            }
        }
        Directory.CreateDirectory(root);
        using var stream = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        TarFile.ExtractToDirectory(stream, root, overwriteFiles: true);
    }

    private static List<(string Name, TarEntryType EntryType, string LinkName)> Entries(string archive)
    {
        using var stream = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var reader = new TarReader(stream);
        var entries = new List<(string, TarEntryType, string)>();
        while (reader.GetNextEntry() is { } entry) entries.Add((entry.Name, entry.EntryType, entry.LinkName));
        return entries;
    }

    private static string Inside(string archive, string root, string name, string? entry = null, string? why = null)
    {
        entry ??= name;
        var normalised = name.Replace('\\', '/');
        if (normalised.StartsWith('/') || Path.IsPathRooted(normalised) || (normalised.Length > 1 && normalised[1] == ':'))
            throw Refused(archive, entry, why ?? "is an absolute path");
        var full = Path.GetFullPath(Path.Combine(root, normalised));
        if (full != root && !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw Refused(archive, entry, why ?? "leaves the folder it is unpacked into");
        return full;
    }

    private static BadInputException Refused(string archive, string entry, string why) =>
        new($"{archive}: entry '{entry}' {why}; nothing was unpacked or imported");
}
