using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Evals.Runner.Datasets;
using Evals.Runner.Runs;

namespace Evals.Runner.Tests.Datasets;

/// <summary>Archives are unpacked only when every entry stays inside the target folder; real zip and tar.gz files.</summary>
public sealed class SafeArchiveTests
{
    [Fact]
    public void A_well_formed_tar_gz_and_zip_unpack_with_links_inside_the_folder()
    {
        var work = Directory.CreateTempSubdirectory("evals-archive-").FullName;
        var tar = TarGz(work, "ok.tar.gz", w =>
        {
            w.WriteEntry(File("data/a.txt", "甲"));
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "data/b.txt") { LinkName = "a.txt" });
        });
        SafeArchive.Extract(tar, Path.Combine(work, "t"));
        Assert.Equal("甲", System.IO.File.ReadAllText(Path.Combine(work, "t", "data", "b.txt")));

        var zip = Zip(work, "ok.zip", "dir/c.txt");
        SafeArchive.Extract(zip, Path.Combine(work, "z"));
        Assert.Equal("x", System.IO.File.ReadAllText(Path.Combine(work, "z", "dir", "c.txt")));
    }

    [Theory]
    [InlineData("parent", "entry '../up.txt' leaves the folder")]
    [InlineData("absolute", "entry '/tmp/abs.txt' is an absolute path")]
    [InlineData("symlink", "entry 'data/link' links to '../../outside', outside the folder")]
    [InlineData("hardlink", "entry 'data/hard' is a hard link to '../etc/passwd', outside the folder")]
    public void A_tar_gz_entry_or_link_out_of_the_folder_is_refused_before_anything_is_written(string kind, string message)
    {
        var work = Directory.CreateTempSubdirectory("evals-archive-").FullName;
        var tar = TarGz(work, "bad.tar.gz", w =>
        {
            w.WriteEntry(File("data/first.txt", "first"));
            w.WriteEntry(kind switch
            {
                "parent" => File("../up.txt", "up"),
                "absolute" => File("/tmp/abs.txt", "abs"),
                "symlink" => new PaxTarEntry(TarEntryType.SymbolicLink, "data/link") { LinkName = "../../outside" },
                _ => new PaxTarEntry(TarEntryType.HardLink, "data/hard") { LinkName = "../etc/passwd" },
            });
        });
        var target = Path.Combine(work, "t");
        var error = Assert.Throws<BadInputException>(() => SafeArchive.Extract(tar, target));
        Assert.Contains(message, error.Message);
        Assert.False(Directory.Exists(target));
        Assert.False(System.IO.File.Exists(Path.Combine(work, "up.txt")));
    }

    [Fact]
    public void A_zip_entry_climbing_out_is_refused()
    {
        var work = Directory.CreateTempSubdirectory("evals-archive-").FullName;
        var zip = Zip(work, "bad.zip", "ok.txt", "a/../../out.txt");
        var error = Assert.Throws<BadInputException>(() => SafeArchive.Extract(zip, Path.Combine(work, "z")));
        Assert.Contains("entry 'a/../../out.txt' leaves the folder", error.Message);
        Assert.False(Directory.Exists(Path.Combine(work, "z")));
    }

    private static PaxTarEntry File(string name, string text) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };

    private static string TarGz(string folder, string name, Action<TarWriter> write)
    {
        var path = Path.Combine(folder, name);
        using (var gzip = new GZipStream(System.IO.File.Create(path), CompressionLevel.Fastest))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
            write(writer);
        return path;
    }

    private static string Zip(string folder, string name, params string[] entries)
    {
        var path = Path.Combine(folder, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in entries)
            using (var writer = new StreamWriter(zip.CreateEntry(entry).Open())) writer.Write("x");
        return path;
    }
}
