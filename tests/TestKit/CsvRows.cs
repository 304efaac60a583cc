using System.Text;
using Microsoft.VisualBasic.FileIO;

namespace Evals.TestKit;

/// <summary>Rows of a CSV as published, read with the framework's own RFC 4180 parser (never the code under test).</summary>
public static class CsvRows
{
    public static List<Dictionary<string, string>> Read(string path)
    {
        using var parser = new TextFieldParser(path, Encoding.UTF8) { TextFieldType = FieldType.Delimited, HasFieldsEnclosedInQuotes = true };
        parser.SetDelimiters(",");
        var header = parser.ReadFields()!;
        var rows = new List<Dictionary<string, string>>();
        while (!parser.EndOfData)
        {
            var fields = parser.ReadFields()!;
            rows.Add(header.Select((h, i) => (h, fields[i])).ToDictionary(p => p.h, p => p.Item2));
        }
        return rows;
    }
}
