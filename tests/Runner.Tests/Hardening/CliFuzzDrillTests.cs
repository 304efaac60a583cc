using System.Text;
using Evals.Storage;
using Evals.TestKit;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Evals.Runner.Tests.Hardening;

/// <summary>
/// Issue 18, the fuzz drill's CLI half: the verbs that take input (import, run, models add, keys create, gate, ab run,
/// arena rate) started with generated bad arguments and malformed files (NUL and control characters, invalid UTF-8,
/// lone surrogates, a 1 MB line, wrong JSON types, deep nesting, unknown fields, huge and negative numbers). Each is bad
/// usage: exit 2 with one "error:" line, no stack trace, and nothing written (runs, results, models, keys, votes and
/// feedback counted before and after; the datasets copy unchanged). Process starts are slow, so a few dozen cases; the
/// seed (EVALS_FUZZ_SEED, default 18) is printed.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class CliFuzzDrillTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    // Two per verb: each case is a process start (seconds on a busy machine).
    private const int Cases = 14;

    private static readonly string[] BadSpecs =
    [
        "", " ", "baseline:", "baseline:oracle", "baseline:random?seed=-99999999999999", "baseline:first?temperature=NaN", "warp:drive", "openai:",
        "openai:file:///etc/passwd?model=x", "openai:http://127.0.0.1:1?model=m&key_env=ConnectionStrings__Evals", "onnx:/nonexistent", "\ud800", "北京\u0001",
        new string('x', 100_000), "'; DROP TABLE runs; --",
    ];

    private static readonly string[] BadNumbers = ["-1", "-2147483649", "99999999999999999999", "abc", "1e308", "NaN", "", "\u0007"];

    private static readonly string[] BadFileContents =
    [
        "", "\0\0\0", "not json at all", "{\"sentence1\": \"a\u0000b\", \"sentence2\": \"c\", \"label\": \"1\"}", "[1, 2, 3]",
        "{\"sentence1\": 5, \"sentence2\": [], \"label\": {}}", new string('[', 10_000) + new string(']', 10_000),
        "{\"sentence1\": \"" + new string('长', 1 << 20) + "\", \"sentence2\": \"b\", \"label\": \"1\", \"surprise\": true}",
        "[{\"model_a\": \"a\", \"model_b\": 7, \"winner\": \"model_a\"}]", "[{\"model_a\": \"a\", \"model_b\": \"a\", \"winner\": \"nobody\", \"x\": 1}]",
        "[{\"model_a\": \"\\u0000\", \"model_b\": \"b\", \"winner\": \"tie\"}]", "{\"default\": \"lots\", \"overall\": -5}", "{{{{",
    ];

    private static readonly byte[] InvalidUtf8 = [0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x28, 0xA1, 0x0A, 0xF0, 0x28, 0x8C, 0xBC];

    [Fact]
    public async Task Generated_bad_input_to_every_verb_that_takes_input_exits_2_and_writes_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("EVALS_FUZZ_SEED"), out var chosen) ? chosen : 18;
        output.WriteLine($"CLI fuzz drill seed {seed} (set EVALS_FUZZ_SEED to repeat it)");
        var work = Directory.CreateTempSubdirectory("evals-cli-fuzz-").FullName;
        var datasets = Path.Combine(work, "datasets");
        CopyManifests(Path.Combine(RepoPaths.Datasets, "smoke"), Path.Combine(datasets, "smoke"), withData: true);
        CopyManifests(Path.Combine(RepoPaths.Datasets, "clue"), Path.Combine(datasets, "clue"), withData: false);
        File.Copy(Path.Combine(RepoPaths.Datasets, "capabilities.json"), Path.Combine(datasets, "capabilities.json"));
        var datasetsBefore = Snapshot(datasets);
        var env = RunnerEnvironment.For(database.ConnectionString, datasets);
        var random = new Random(seed);
        var before = await CountsAsync();
        var failures = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < Cases; i++)
            {
                var args = Generate(random, work, i);
                var result = await CliProcess.RunAsync(env, TimeSpan.FromMinutes(2), args);
                var shown = string.Join(' ', args.Select(a => a.Length > 80 ? a[..80] + "…" : a));
                if (result.ExitCode != 2 || !result.StdErr.Contains("error:", StringComparison.Ordinal)
                    || result.StdErr.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase) || result.StdErr.Contains("   at ", StringComparison.Ordinal))
                    failures.Add($"case {i}: evals {shown}\n{Truncate(result.ToString())}");
            }
            output.WriteLine($"{Cases} CLI cases in {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} of {Cases} cases failed:\n{string.Join("\n\n", failures.Take(8))}");
            Assert.Equal(before, await CountsAsync());
            Assert.Equal(datasetsBefore, Snapshot(datasets));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string[] Generate(Random random, string work, int index)
    {
        string Spec() => BadSpecs[random.Next(BadSpecs.Length)];
        string Number() => BadNumbers[random.Next(BadNumbers.Length)];
        string File(string name) => WriteBadFile(random, Path.Combine(work, $"case{index}"), name);
        return (index % 7) switch
        {
            0 => random.Next(2) == 0
                ? ["import", "afqmc", "--path", Path.GetDirectoryName(File("dev.json"))!]
                : ["import", random.Next(2) == 0 ? "afqmc\u0001" : "clue", "--path", Path.Combine(work, "nowhere", "\ud800")],
            1 => random.Next(3) switch
            {
                0 => ["run", "--model", Spec(), "--suite", "smoke"],
                1 => ["run", "--model", "baseline:first", "--suite", random.Next(2) == 0 ? "smoke" : "smok\u0007", "--limit", Number(), "--shots", Number()],
                _ => ["run", "--model", "baseline:first", "--suite", "smoke", "--mode", "gen\u0001erate", "--batch-size", Number(), "--selfcheck", Number()],
            },
            2 => ["models", "add", "--name", random.Next(2) == 0 ? "" : "m\u0001" + random.Next(), "--spec", Spec()],
            3 => ["keys", "create", "--name", random.Next(2) == 0 ? "" : "k" + random.Next(), "--scope", random.Next(2) == 0 ? "root" : "ADMIN\u202e", "--rpm", Number()],
            4 => random.Next(2) == 0
                ? ["gate", "--candidate", Spec(), "--baseline", "baseline:first", "--suite", "smoke"]
                : ["gate", "--candidate", "baseline:first", "--baseline", "baseline:majority", "--suite", "smoke", "--thresholds", File("thresholds.json"),
                    "--alpha", Number(), "--rounds", Number()],
            5 => random.Next(2) == 0
                ? ["ab", "run", "--model", "baseline:first", "--suite", "smoke", "--variant", "a=" + File("a.txt"), "--variant", "b=" + Path.Combine(work, "missing.txt")]
                : ["ab", "run", "--model", Spec(), "--suite", "smoke", "--variant", "only=" + File("only.json"), "--rounds", Number()],
            _ => ["arena", "rate", "--battles", File("battles.json"), "--bootstrap", random.Next(2) == 0 ? "100" : Number()],
        };
    }

    private static string WriteBadFile(Random random, string folder, string name)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        if (random.Next(6) == 0) System.IO.File.WriteAllBytes(path, InvalidUtf8);
        else System.IO.File.WriteAllText(path, BadFileContents[random.Next(BadFileContents.Length)], new UTF8Encoding(false));
        return path;
    }

    private static string Truncate(string text) => text.Length > 1500 ? text[..1500] + "…" : text;

    private sealed record Counts(int Runs, int Results, int Models, int Keys, int Votes, int Feedback);

    private async Task<Counts> CountsAsync()
    {
        await using var db = Migrator.CreateContext(database.ConnectionString);
        return new Counts(await db.Runs.CountAsync(), await db.Results.CountAsync(), await db.Models.CountAsync(), await db.ApiKeys.CountAsync(),
            await db.ArenaVotes.CountAsync(), await db.Feedback.CountAsync());
    }

    /// <summary>Every file's path, length and last write: an import that wrote anything changes it.</summary>
    private static string Snapshot(string folder) => string.Join('\n', Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetRelativePath(folder, f)} {new FileInfo(f).Length} {System.IO.File.GetLastWriteTimeUtc(f).Ticks}"));

    /// <summary>A suite's manifests (and, for shipped suites, their data), never imported data.</summary>
    private static void CopyManifests(string from, string to, bool withData)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from).Where(f => withData || f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal)))
            System.IO.File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from).Where(d => withData || Path.GetFileName(d) != "data"))
            CopyManifests(dir, Path.Combine(to, Path.GetFileName(dir)), withData);
    }
}
