using System.Text;

namespace Evals.Benchmarks.Suites.Import;

/// <param name="Line">1-based physical line on which the record starts (a quoted field may carry it over several lines).</param>
/// <param name="Error">Set when the record is malformed; <see cref="Fields"/> then holds what could be read.</param>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields, string? Error = null);

/// <summary>
/// RFC 4180 reader: comma-separated, fields optionally quoted with <c>"</c>, a doubled quote inside a quoted field is one
/// quote, quoted fields may span lines; CRLF or LF; a leading UTF-8 BOM is dropped. C-Eval's dev explanations carry
/// newlines inside quoted fields, so splitting files by line would misread them.
/// </summary>
public static class CsvReader
{
    public static IEnumerable<CsvRecord> Read(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var i = 0;
        string? error = null;
        var atFieldStart = true;
        while (i < text.Length)
        {
            var c = text[i];
            if (atFieldStart && c == '"')
            {
                var openedOn = line;
                i++;
                var closed = false;
                while (i < text.Length)
                {
                    var q = text[i];
                    if (q == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        closed = true;
                        break;
                    }
                    if (q == '\n') line++;
                    field.Append(q);
                    i++;
                }
                if (!closed)
                {
                    fields.Add(field.ToString());
                    yield return new CsvRecord(recordLine, fields, $"quoted field opened on line {openedOn} is never closed");
                    yield break;
                }
                atFieldStart = false;
                // After a closing quote only a separator or the end of the record may follow.
                if (i < text.Length && text[i] is not (',' or '\n' or '\r'))
                {
                    error ??= $"text after the closing quote of field {fields.Count + 1}";
                    while (i < text.Length && text[i] is not (',' or '\n' or '\r')) field.Append(text[i++]);
                }
                continue;
            }
            switch (c)
            {
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    atFieldStart = true;
                    i++;
                    break;
                case '\r' or '\n':
                    if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                    i++;
                    fields.Add(field.ToString());
                    field.Clear();
                    // A blank line (no separator, no text) is not a record.
                    if (fields.Count > 1 || fields[0].Length > 0 || error is not null)
                        yield return new CsvRecord(recordLine, fields, error);
                    fields = [];
                    error = null;
                    atFieldStart = true;
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(c);
                    atFieldStart = false;
                    i++;
                    break;
            }
        }
        if (!atFieldStart || field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return new CsvRecord(recordLine, fields, error);
        }
    }
}
