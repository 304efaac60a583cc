using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Evals.Benchmarks.Suites.Sources;
using Evals.TestKit;
using Npgsql;

namespace Evals.Runner.Tests.Datasets;

/// <summary>
/// `evals datasets pull` through the real CLI against a loopback server holding the official files under their official
/// URL paths (and the same server as a Hugging Face mirror): the stored items equal those of `evals import` of the same
/// files, and every failure — a corrupted file, 404, 500, an archive escaping its folder — is a clear error with nothing
/// imported; a download cut off halfway is resumed with a Range request.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class DatasetPullTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private const string CmathPath = "/XiaoMi/cmath/9fa13ef0b2d03f5a18c1ace7001248d3981d65ea/datasets/cmath_dev.jsonl";
    private const string AfqmcPath = "/jsksxs360/How-to-use-Transformers/02506f2aec57868181c7732711f643cf3a7b5c57/data/afqmc_public/dev.json";

    [SharedDatasetsFact("clue_afqmc", "cmath", "ceval")]
    public async Task Pulled_datasets_store_exactly_what_evals_import_stores_from_official_paths_and_through_a_mirror()
    {
        await using var server = await DatasetFileServer.StartAsync();
        Serve(server, "clue_afqmc", "cmath", "ceval");
        var datasets = Manifests(rewrite: ["https://raw.githubusercontent.com"], server.BaseUrl);
        var cache = Directory.CreateTempSubdirectory("evals-cache-").FullName;
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);

        var pulled = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "clue_afqmc", "cmath", "ceval", "--cache", cache, "--mirror", server.BaseUrl + "/");
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        // Non-commercial and unstated licences are shown before the download; an open one is not.
        Assert.Contains("licence of ceval (non-commercial): Creative Commons Attribution-NonCommercial-ShareAlike 4.0", pulled.StdOut);
        Assert.Contains("licence of clue_afqmc (no licence stated)", pulled.StdOut);
        Assert.DoesNotContain("licence of cmath", pulled.StdOut);
        Assert.Contains("imported 1606 items of 52 tasks into suite 'ceval'", pulled.StdOut);
        // C-Eval's questions came through the mirror under Hugging Face's own paths.
        Assert.Contains(server.Requests, r => r == "/datasets/ceval/ceval-exam/resolve/main/val/accountant_val.csv");
        Assert.True(File.Exists(Path.Combine(cache, "cmath", "datasets", "cmath_dev.jsonl")));

        // The same official files through `evals import`, into another database and datasets folder.
        var other = await database.Cluster.CreateDatabaseAsync();
        var importEnv = RunnerEnvironment.For(other, DatasetsCopy.Manifests());
        foreach (var (format, folder) in new[] { ("afqmc", "clue_afqmc"), ("cmath", "cmath"), ("ceval", "ceval") })
        {
            var import = await CliProcess.RunAsync(importEnv, Timeout, "import", format, "--path", Path.Combine(RepoPaths.SharedDatasets, folder));
            Assert.True(import.ExitCode == 0, import.ToString());
        }
        var expected = await StoredItemsAsync(other);
        Assert.Equal(1606 + 600 + 4316, expected.Count);
        Assert.Equal(expected, await StoredItemsAsync(database.ConnectionString));

        // Pulled again: the cache answers, nothing is downloaded, the stored versions are found.
        var requests = server.Requests.Count;
        var again = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "cmath", "--cache", cache);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("already in", again.StdOut);
        Assert.Equal(requests, server.Requests.Count);

        var list = await CliProcess.RunAsync(env, Timeout, "datasets", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        var cmathRow = list.StdOut.Split('\n').Single(l => l.Contains(" cmath ", StringComparison.Ordinal));
        Assert.Contains("yes (1 task)", cmathRow);
        Assert.Contains("yes (52 tasks)", list.StdOut.Split('\n').Single(l => l.Contains(" ceval ", StringComparison.Ordinal)));
        Assert.Contains("no", list.StdOut.Split('\n').Single(l => l.Contains(" halluqa ", StringComparison.Ordinal)));
    }

    [SharedDatasetsFact("clue_afqmc", "cmath")]
    public async Task Corruption_http_errors_and_escaping_archives_import_nothing_and_a_cut_download_resumes()
    {
        await using var server = await DatasetFileServer.StartAsync();
        Serve(server, "clue_afqmc", "cmath");
        var datasets = Manifests(rewrite: ["https://raw.githubusercontent.com"], server.BaseUrl);
        var connection = await database.Cluster.CreateDatabaseAsync();
        var env = RunnerEnvironment.For(connection, datasets);
        string Cache() => Directory.CreateTempSubdirectory("evals-cache-").FullName;

        server.Break(CmathPath, DatasetFileServer.Fault.Corrupt);
        var cache = Cache();
        var corrupt = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "clue_afqmc", "cmath", "--cache", cache);
        Assert.True(corrupt.ExitCode == 2, corrupt.ToString());
        var pinned = DatasetSourceCatalog.Read(Path.Combine(datasets, "sources", "cmath.json")).Files.Single().Sha256;
        Assert.Contains($"cmath: datasets/cmath_dev.jsonl (from {server.BaseUrl}{CmathPath}) has SHA-256 ", corrupt.StdErr);
        Assert.Contains($"pins {pinned}; the file was deleted and nothing was imported", corrupt.StdErr);
        Assert.False(File.Exists(Path.Combine(cache, "cmath", "datasets", "cmath_dev.jsonl")));
        await AssertNothingImportedAsync(connection, datasets);

        server.Break(AfqmcPath, DatasetFileServer.Fault.NotFound);
        var missing = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "clue_afqmc", "--cache", Cache());
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains($"error: {server.BaseUrl}{AfqmcPath}: HTTP 404 Not Found; nothing was imported", missing.StdErr);

        server.Break(AfqmcPath, DatasetFileServer.Fault.ServerError);
        var before = server.Requests.Count(r => r == AfqmcPath);
        var failing = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "clue_afqmc", "--cache", Cache());
        Assert.True(failing.ExitCode == 1, failing.ToString());
        Assert.Contains($"{AfqmcPath}: HTTP 500 Internal Server Error", failing.StdErr);
        Assert.Equal(before + 4, server.Requests.Count(r => r == AfqmcPath));    // retried, then given up
        await AssertNothingImportedAsync(connection, datasets);

        // A zip whose entry climbs out of the dataset's folder: refused before anything is unpacked.
        var zip = EscapingZip();
        server.Serve("/evil/cmath.zip", zip);
        File.WriteAllText(Path.Combine(datasets, "sources", "evil.json"), $$"""
            {"name": "evil", "suite": "math", "format": "cmath", "tasks": ["math/cmath"], "licence": "test", "licence_terms": "open",
             "files": [{"path": "cmath.zip", "url": "{{server.BaseUrl}}/evil/cmath.zip", "sha256": "{{Convert.ToHexStringLower(SHA256.HashData(zip))}}", "size": {{zip.Length}}, "unpack": true}]}
            """);
        cache = Cache();
        var escaping = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "evil", "--cache", cache);
        Assert.True(escaping.ExitCode == 2, escaping.ToString());
        Assert.Contains("entry '../escaped.txt' leaves the folder it is unpacked into; nothing was unpacked or imported", escaping.StdErr);
        Assert.False(File.Exists(Path.Combine(cache, "escaped.txt")));
        Assert.False(File.Exists(Path.Combine(cache, "evil", "datasets", "cmath_dev.jsonl")));
        await AssertNothingImportedAsync(connection, datasets);

        // The connection drops halfway through the first response; the retry asks for the rest only.
        server.Break(CmathPath, DatasetFileServer.Fault.DropFirstHalfway);
        var resumed = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "cmath", "--cache", Cache());
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var size = new FileInfo(Path.Combine(RepoPaths.SharedDatasets, "cmath", "datasets", "cmath_dev.jsonl")).Length;
        var ranged = server.Requests.Where(r => r.StartsWith(CmathPath + " bytes=", StringComparison.Ordinal)).ToList();
        Assert.True(ranged.Count == 1, $"{string.Join("\n", server.Requests)}\n{resumed}");
        var rangeRequest = ranged[0];
        var from = long.Parse(rangeRequest[(CmathPath.Length + " bytes=".Length)..^1]);
        Assert.InRange(from, 1, size - 1);
        Assert.Contains("imported 600 items of 1 tasks into suite 'math'", resumed.StdOut);
        Assert.Equal(600, await ScalarAsync(connection, "SELECT count(*)::int FROM items i JOIN tasks t ON t.id = i.task_id WHERE t.name = 'math/cmath'"));
    }

    [SharedDatasetsFact("clue_afqmc", "cmath")]
    public async Task From_a_folder_pulls_offline_and_a_missing_file_is_named()
    {
        // Every URL points at a closed port: any download attempt would fail the pull.
        var datasets = Manifests(rewrite: ["https://raw.githubusercontent.com", "https://huggingface.co"], "http://127.0.0.1:9");
        var connection = await database.Cluster.CreateDatabaseAsync();
        var env = RunnerEnvironment.For(connection, datasets);

        var offline = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "clue_afqmc", "cmath", "--from", RepoPaths.SharedDatasets, "--cache", Directory.CreateTempSubdirectory("evals-cache-").FullName);
        Assert.True(offline.ExitCode == 0, offline.ToString());
        Assert.Contains("copied from", offline.StdOut);
        Assert.Equal(4316, await ScalarAsync(connection, "SELECT count(*)::int FROM items i JOIN tasks t ON t.id = i.task_id WHERE t.name = 'clue/afqmc'"));
        Assert.Equal(600, await ScalarAsync(connection, "SELECT count(*)::int FROM items i JOIN tasks t ON t.id = i.task_id WHERE t.name = 'math/cmath'"));

        var empty = Directory.CreateTempSubdirectory("evals-from-").FullName;
        var absent = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "mgsm_zh", "--from", empty, "--cache", Directory.CreateTempSubdirectory("evals-cache-").FullName);
        Assert.True(absent.ExitCode == 2, absent.ToString());
        Assert.Contains($"mgsm_zh: mgsm/mgsm_zh.tsv is not in --from {empty}", absent.StdErr);

        var manual = await CliProcess.RunAsync(env, Timeout, "datasets", "pull", "clue_tnews", "--cache", Directory.CreateTempSubdirectory("evals-cache-").FullName);
        Assert.True(manual.ExitCode == 2, manual.ToString());
        Assert.Contains("clue_tnews cannot be downloaded automatically: CLUE publishes TNEWS only as tnews_public.zip", manual.StdErr);
    }

    private static readonly Dictionary<string, string> SharedFolder = new() { ["csl_title"] = "csl_title_summarization" };

    private static void Serve(DatasetFileServer server, params string[] names)
    {
        foreach (var name in names)
            server.ServeDataset(DatasetSourceCatalog.Read(Path.Combine(RepoPaths.Datasets, "sources", name + ".json")),
                Path.Combine(RepoPaths.SharedDatasets, SharedFolder.GetValueOrDefault(name, name)));
    }

    /// <summary>A copy of the shipped manifests whose source URLs on the hosts named point at <paramref name="baseUrl"/> instead, same paths.</summary>
    private static string Manifests(string[] rewrite, string baseUrl)
    {
        var datasets = DatasetsCopy.Manifests();
        foreach (var file in Directory.GetFiles(Path.Combine(datasets, "sources"), "*.json"))
        {
            var text = File.ReadAllText(file);
            foreach (var host in rewrite) text = text.Replace($"\"url\": \"{host}/", $"\"url\": \"{baseUrl}/", StringComparison.Ordinal);
            File.WriteAllText(file, text);
        }
        return datasets;
    }

    private static byte[] EscapingZip()
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var writer = new StreamWriter(zip.CreateEntry("datasets/cmath_dev.jsonl").Open()))
                writer.Write(File.ReadAllText(Path.Combine(RepoPaths.SharedDatasets, "cmath", "datasets", "cmath_dev.jsonl")));
            using (var writer = new StreamWriter(zip.CreateEntry("../escaped.txt").Open())) writer.Write("out");
        }
        return memory.ToArray();
    }

    private static async Task AssertNothingImportedAsync(string connection, string datasets)
    {
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*)::int FROM tasks WHERE name IN ('clue/afqmc', 'math/cmath')"));
        Assert.False(File.Exists(Path.Combine(datasets, "clue", "afqmc", "data", "dev.jsonl")));
        Assert.False(File.Exists(Path.Combine(datasets, "math", "cmath", "data", "dev.jsonl")));
    }

    private static async Task<List<string>> StoredItemsAsync(string connection)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT t.name, t.version, i.split, i.key, i.ordinal, i.payload::text FROM items i JOIN tasks t ON t.id = i.task_id ORDER BY t.name, i.split, i.ordinal", conn);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        var line = new StringBuilder();
        while (await reader.ReadAsync())
        {
            line.Clear();
            for (var i = 0; i < reader.FieldCount; i++) line.Append(reader.GetValue(i)).Append('\t');
            rows.Add(line.ToString());
        }
        return rows;
    }

    private static async Task<int> ScalarAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var command = new NpgsqlCommand(sql, conn);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
