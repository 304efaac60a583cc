using System.Text.Json.Nodes;
using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Suites.Exams;

/// <summary>The four-option exam CSVs that C-Eval and CMMLU publish, checked row by row.</summary>
internal static class ExamCsv
{
    public static readonly string[] Options = ["A", "B", "C", "D"];

    /// <summary>
    /// Reads one subject file into <paramref name="builder"/>. <paramref name="headers"/> lists the accepted header rows;
    /// any other header is fatal, since the columns could not be trusted.
    /// </summary>
    public static void Read(ImportBuilder builder, string file, string task, string split, IReadOnlyList<string[]> headers,
        string idColumn, string questionColumn, string answerColumn, IReadOnlyDictionary<string, string> extra)
    {
        var records = CsvReader.Read(JsonLines.ReadText(file)).ToList();
        if (records.Count == 0)
        {
            builder.Fatal(file, 0, "empty file; expected a header row");
            return;
        }
        var header = records[0].Fields.ToArray();
        if (!headers.Any(h => h.SequenceEqual(header, StringComparer.Ordinal)))
        {
            var shown = headers.Select(h => string.Join(',', h)).Select(h => $"'{h}'");
            builder.Fatal(file, records[0].Line, $"header '{string.Join(',', header)}' is not {string.Join(" or ", shown)}");
            return;
        }
        foreach (var record in records.Skip(1))
        {
            if (record.Error is not null)
            {
                builder.Problem(file, record.Line, record.Error);
                continue;
            }
            if (record.Fields.Count != header.Length)
            {
                builder.Problem(file, record.Line, $"{record.Fields.Count} fields, expected {header.Length} ({string.Join(',', header)})");
                continue;
            }
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++) row[header[i]] = record.Fields[i];
            var problems = new List<string>();
            var id = row[idColumn].Trim();
            if (id.Length == 0) problems.Add($"column '{(idColumn.Length == 0 ? "(first, unnamed)" : idColumn)}': empty id");
            if (row[questionColumn].Trim().Length == 0) problems.Add($"column '{questionColumn}': empty question");
            foreach (var option in Options)
                if (row[option].Trim().Length == 0) problems.Add($"column '{option}': empty option");
            var answer = row[answerColumn].Trim();
            if (!Options.Contains(answer)) problems.Add($"column '{answerColumn}': '{answer}' is not one of A, B, C, D");
            if (problems.Count > 0)
            {
                foreach (var problem in problems) builder.Problem(file, record.Line, problem);
                continue;
            }
            var fields = new JsonObject();
            foreach (var (column, value) in row)
                if (column != idColumn) fields[column] = column == answerColumn ? answer : value;
            // Derived: the options as one array, for the multiple-choice task.
            fields["choices"] = new JsonArray(Options.Select(o => (JsonNode?)row[o]).ToArray());
            foreach (var (key, value) in extra) fields[key] = value;
            builder.Add(task, split, id, fields, file, record.Line);
        }
    }
}
