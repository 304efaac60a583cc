using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Tests;

/// <summary>Malformed copies of the official files: every problem is reported as file:line, and skip-bad keeps the rest.</summary>
public sealed class BadLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evals-badlines-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Afqmc_reports_a_broken_line_a_missing_label_and_an_unknown_label_with_their_lines()
    {
        var file = Write("afqmc/dev.json", string.Join('\n',
            """{"sentence1": "花呗", "sentence2": "借呗", "label": "0"}""",
            "{\"sentence1\": \"花呗\", \"sentence2\": \"借呗\", \"label\": \"1\"",
            """{"sentence1": "花呗", "sentence2": "借呗"}""",
            "",
            """{"sentence1": "花呗", "sentence2": "借呗", "label": "2"}""",
            """{"sentence1": "", "sentence2": "借呗", "label": 1}""",
            """{"sentence1": "花呗", "sentence2": "借呗", "label": "1"}"""));
        var reader = ImportFormats.Get("afqmc");

        var strict = reader.Read(Path.Combine(_dir, "afqmc"));
        Assert.False(strict.Succeeded);
        Assert.Empty(strict.Tasks);
        var lines = strict.Problems.Select(p => p.ToString()).ToList();
        Assert.Equal(4, lines.Count);
        Assert.StartsWith($"{file}:2: not valid JSON", lines[0]);
        Assert.Equal($"{file}:3: field 'label': missing label", lines[1]);
        Assert.Equal($"{file}:5: field 'label': unknown label '2'; expected one of 0, 1", lines[2]);
        Assert.Equal($"{file}:6: field 'sentence1': empty", lines[3]);

        var lenient = reader.Read(Path.Combine(_dir, "afqmc"), skipBad: true);
        Assert.True(lenient.Succeeded);
        Assert.Equal(4, lenient.Problems.Count);
        var task = lenient.Task("afqmc");
        // Ids are line indexes of the original file, so that they stay stable when bad lines are skipped.
        Assert.Equal(["0", "6"], task.Items.Select(i => i.Id));
        Assert.Equal([0, 1], task.Items.Select(i => i.Ordinal));
    }

    [Fact]
    public void Ocnli_rejects_a_duplicate_id_and_an_array_line()
    {
        var file = Write("ocnli/dev.json", string.Join("\r\n",
            """{"sentence1": "甲", "sentence2": "乙", "label": "neutral", "id": 7}""",
            """[1, 2]""",
            """{"sentence1": "甲", "sentence2": "乙", "label": "entailment", "id": "7"}"""));
        var result = ImportFormats.Get("ocnli").Read(Path.Combine(_dir, "ocnli"));
        Assert.Equal([$"{file}:2: expected a JSON object, found an array", $"{file}:3: id '7' is already used on line 1 of split 'dev'"],
            result.Problems.Select(p => p.ToString()));
    }

    [Fact]
    public void Ceval_reports_a_wrong_column_count_a_bad_answer_and_an_unclosed_quote()
    {
        Write("ceval/subject_mapping.json", """{"law": ["Law", "法学", "Humanities"]}""");
        var file = Write("ceval/val/law_val.csv", string.Join('\n',
            "id,question,A,B,C,D,answer",
            "0,\"多行\n题目\",甲,乙,丙,丁,A",
            "1,题目,甲,乙,丙,B",
            "2,题目,甲,乙,丙,丁,E",
            "3,\"引号\"\"内\",甲,乙,丙,丁,D",
            "4,\"没有闭合,甲,乙,丙,丁,A",
            ""));
        var result = ImportFormats.Get("ceval").Read(Path.Combine(_dir, "ceval"), skipBad: true);
        Assert.Equal([
            $"{file}:4: 6 fields, expected 7 (id,question,A,B,C,D,answer)",
            $"{file}:5: column 'answer': 'E' is not one of A, B, C, D",
            $"{file}:7: quoted field opened on line 7 is never closed",
        ], result.Problems.Select(p => p.ToString()));
        var items = result.Task("law").Items;
        Assert.Equal(["0", "3"], items.Select(i => i.Id));
        Assert.Equal("多行\n题目", items[0].GetString("question"));
        Assert.Equal("引号\"内", items[1].GetString("question"));
    }

    [Fact]
    public void Ceval_without_its_subject_mapping_or_with_a_wrong_header_is_refused_even_with_skip_bad()
    {
        Write("nomap/val/law_val.csv", "id,question,A,B,C,D,answer\n");
        var missing = ImportFormats.Get("ceval").Read(Path.Combine(_dir, "nomap"), skipBad: true);
        Assert.False(missing.Succeeded);
        Assert.Contains("subject_mapping.json: missing", missing.Problems.Single().ToString());

        Write("header/subject_mapping.json", """{"law": ["Law", "法学", "Humanities"]}""");
        var file = Write("header/val/law_val.csv", "id,question,A,B,C,answer\n0,题,甲,乙,丙,A\n");
        var wrong = ImportFormats.Get("ceval").Read(Path.Combine(_dir, "header"), skipBad: true);
        Assert.False(wrong.Succeeded);
        Assert.StartsWith($"{file}:1: header 'id,question,A,B,C,answer' is not", wrong.Problems.Single().ToString());
    }

    [Fact]
    public void Cmmlu_reads_a_bom_and_crlf_and_reports_a_missing_id()
    {
        var file = Write("cmmlu/test/logical.csv", "\uFEFF,Question,A,B,C,D,Answer\r\n0,题,甲,乙,丙,丁,B\r\n,题,甲,乙,丙,丁,C\r\n");
        var result = ImportFormats.Get("cmmlu").Read(Path.Combine(_dir, "cmmlu"), skipBad: true);
        Assert.Equal([$"{file}:3: column '(first, unnamed)': empty id"], result.Problems.Select(p => p.ToString()));
        Assert.Equal("B", result.Task("logical").Items.Single().GetString("Answer"));
    }

    [Fact]
    public void Cmrc2018_names_the_line_of_a_bad_question_inside_the_document()
    {
        var file = Write("cmrc/cmrc2018_dev.json", """
            {"version": "v1.0",
             "data": [{"id": "DEV_0", "title": "标题",
               "paragraphs": [{"id": "DEV_0", "context": "上下文",
                 "qas": [
                   {"id": "Q0", "question": "问？", "answers": [{"text": "上下", "answer_start": 0}]},
                   {"id": "Q1", "question": "问？",
                    "answers": []}
                 ]}]}]}
            """);
        var result = ImportFormats.Get("cmrc2018").Read(Path.Combine(_dir, "cmrc"), skipBad: true);
        Assert.Equal([$"{file}:6: field 'answers': missing, not an array, or empty"], result.Problems.Select(p => p.ToString()));
        Assert.Equal(["Q0"], result.Task("cmrc2018").Items.Select(i => i.Id));

        var broken = Write("broken/dev.json", "{\"data\": [\n{\"paragraphs\": [}\n]}");
        var refused = ImportFormats.Get("cmrc2018").Read(Path.Combine(_dir, "broken"), skipBad: true);
        Assert.False(refused.Succeeded);
        Assert.StartsWith($"{broken}:2: not valid JSON", refused.Problems.Single().ToString());
    }

    [Fact]
    public void C3_reports_an_answer_that_is_not_a_choice()
    {
        var file = Write("c3/c3-m-dev.json", """
            [
             [["文章"],
              [{"question": "问", "choice": ["甲", "乙"], "answer": "乙"},
               {"question": "问", "choice": ["甲", "乙"], "answer": "丙"}],
              "m1"]
            ]
            """);
        var result = ImportFormats.Get("c3").Read(Path.Combine(_dir, "c3"), skipBad: true);
        Assert.Equal([$"{file}:4: field 'answer': '丙' is not one of the choices"], result.Problems.Select(p => p.ToString()));
        Assert.Equal("1", result.Task("c3").Items.Single().GetString("answer_index"));
    }

    [Fact]
    public void Clue_folder_finds_tasks_under_any_of_their_published_folder_names()
    {
        Write("clue/afqmc_public/dev.json", """{"sentence1": "花呗", "sentence2": "借呗", "label": "0"}""" + "\n");
        // a labels-only folder (as the shared clue_tnews) is passed over for the FewCLUE one
        Write("clue/clue_tnews/labels.json", """{"label": "100", "label_desc": "news_story"}""" + "\n");
        Write("clue/fewclue/tnews/test_public.json", """{"label": 100, "label_desc": "news_story", "sentence": "标题", "keywords": "", "id": 3}""" + "\n");
        var bad = Write("clue/c3/d-dev.json", "[");
        var result = ImportFormats.Get("clue").Read(Path.Combine(_dir, "clue"), skipBad: true);
        Assert.False(result.Succeeded);
        Assert.StartsWith($"{bad}:1: not valid JSON", result.Problems.Single().ToString());

        File.Delete(bad);
        result = ImportFormats.Get("clue").Read(Path.Combine(_dir, "clue"));
        Assert.True(result.Succeeded, string.Join('\n', result.Problems));
        Assert.Equal(["afqmc", "tnews"], result.Tasks.Select(t => t.Name));
        Assert.Equal("100", result.Task("tnews").Items.Single().GetString("label"));
        Assert.Contains(result.Notes, n => n.EndsWith("no folder for ocnli", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_format_names_its_near_match()
    {
        var e = Assert.Throws<UnknownFormatException>(() => ImportFormats.Get("cevel"));
        Assert.Contains("did you mean ceval", e.Message);
    }
}
