using Evals.Benchmarks.Suites.Generation;
using Evals.Benchmarks.Suites.Import;
using Evals.TestKit;

namespace Evals.Benchmarks.Tests.Generation;

/// <summary>The csl_ts, wmt and uhgeval imports on the shared official files, and their refusals of malformed files.</summary>
public sealed class GenerationReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("evals-gen-import-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [SharedDatasetsFact("csl_title_summarization")]
    public void Csl_reads_both_splits_with_abstract_and_title()
    {
        var result = ImportFormats.Get("csl_ts").Read(SharedDatasets.Get("csl_title_summarization"));
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var task = result.Task(CslTitleReader.TaskName);
        Assert.Equal((1000, 1000), (task.Count("dev"), task.Count("test")));
        var first = task.Items.First(i => i.Split == "test");
        Assert.Equal("test-1", first.Id);
        Assert.False(string.IsNullOrWhiteSpace(first.GetString("abstract")));
        Assert.False(string.IsNullOrWhiteSpace(first.GetString("title")));
        // A field that begins with a quote is kept as written (tabs only, no CSV quoting).
        Assert.Contains(task.Items, i => i.GetString("abstract")!.StartsWith('"') || i.GetString("title")!.StartsWith('"'));
    }

    [SharedDatasetsFact("wmt22_en_zh")]
    public void Wmt_reads_the_source_with_both_references_line_by_line()
    {
        var result = ImportFormats.Get("wmt").Read(SharedDatasets.Get("wmt22_en_zh"));
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var items = result.Task(WmtReader.TaskName).Items;
        Assert.Equal(2037, items.Count);
        var refA = File.ReadAllLines(Path.Combine(SharedDatasets.Get("wmt22_en_zh"), "txt/references/generaltest2022.en-zh.ref.A.zh"));
        var refB = File.ReadAllLines(Path.Combine(SharedDatasets.Get("wmt22_en_zh"), "txt/references/generaltest2022.en-zh.ref.B.zh"));
        var last = items[^1];
        Assert.Equal("2037", last.Id);
        Assert.Equal([refA[^1], refB[^1]], last.Fields.GetProperty("references").EnumerateArray().Select(e => e.GetString()));
    }

    [SharedDatasetsFact("uhgeval")]
    public void Uhgeval_reads_the_real_continuation_as_reference()
    {
        var result = ImportFormats.Get("uhgeval").Read(SharedDatasets.Get("uhgeval"));
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var items = result.Task(UhgevalReader.TaskName).Items;
        Assert.Equal(1000, items.Count);
        Assert.Equal(471, items.Count(i => i.GetString("type") == "num"));
        Assert.All(items, i => Assert.False(string.IsNullOrWhiteSpace(i.GetString("continuation"))));
    }

    [Fact]
    public void Malformed_csl_rows_are_refused_naming_file_line_and_field()
    {
        var ts = Directory.CreateDirectory(Path.Combine(_folder, "benchmark", "ts")).FullName;
        File.WriteAllText(Path.Combine(ts, "test.tsv"), "to title\t摘要一。\t标题一\nto title\t只有两列\nto title\t\t标题三\nto title\t摘要四。\t \n");
        var result = ImportFormats.Get("csl_ts").Read(_folder);
        Assert.False(result.Succeeded);
        Assert.Empty(result.Tasks);
        var file = Path.Combine(ts, "test.tsv");
        Assert.Equal([$"{file}:2: expected 3 tab-separated columns (prompt, abstract, title), found 2",
            $"{file}:3: field 'abstract' (column 2): empty", $"{file}:4: field 'title' (column 3): empty"], result.Problems.Select(p => p.ToString()));
        var skipped = ImportFormats.Get("csl_ts").Read(_folder, skipBad: true);
        Assert.Equal(1, skipped.ItemCount);
    }

    [Fact]
    public void Wmt_files_that_are_not_line_aligned_or_have_empty_lines_are_refused()
    {
        var txt = Path.Combine(_folder, "txt");
        Directory.CreateDirectory(Path.Combine(txt, "sources"));
        Directory.CreateDirectory(Path.Combine(txt, "references"));
        var source = Path.Combine(txt, "sources", "set.en-zh.src.en");
        var refA = Path.Combine(txt, "references", "set.en-zh.ref.A.zh");
        File.WriteAllText(source, "Hello.\nGood morning.\n\n");
        File.WriteAllText(refA, "你好。\n早上好。\n");
        var misaligned = ImportFormats.Get("wmt").Read(_folder);
        Assert.Equal([$"{refA}:3: 2 lines, but the source has 3: the files must be line-aligned"], misaligned.Problems.Select(p => p.ToString()));
        Assert.True(misaligned.Problems[0].Fatal);

        File.WriteAllText(refA, "你好。\n \n好的。\n");
        var empty = ImportFormats.Get("wmt").Read(_folder);
        Assert.Equal([$"{refA}:2: field 'references': empty line", $"{source}:3: field 'source': empty line"], empty.Problems.Select(p => p.ToString()).Order());
        Assert.Empty(empty.Tasks);
    }

    [Fact]
    public void Malformed_uhgeval_lines_are_refused_naming_file_line_and_field()
    {
        var file = Path.Combine(_folder, "dataset_uhgeval_concise.jsonl");
        File.WriteAllText(file, """
            {"id":"num_000001","headLine":"标题","type":"num","newsBeginning":"开头。","realContinuation":"续写。"}
            {"id":"num_000002","headLine":"标题","type":"num","newsBeginning":"开头。"}
            {"id":"num_000003","headLine":"标题","type":"num","newsBeginning":"开头。","realContinuation":3}
            not json
            """);
        var result = ImportFormats.Get("uhgeval").Read(_folder);
        Assert.False(result.Succeeded);
        var problems = result.Problems.Select(p => p.ToString()).ToList();
        Assert.Equal($"{file}:2: field 'realContinuation': missing", problems[0]);
        Assert.StartsWith($"{file}:3: field 'realContinuation': expected a string", problems[1]);
        Assert.StartsWith($"{file}:4: not valid JSON", problems[2]);
        Assert.Equal(3, problems.Count);
    }
}
