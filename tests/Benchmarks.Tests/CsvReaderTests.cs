using Evals.Benchmarks.Suites.Import;

namespace Evals.Benchmarks.Tests;

public class CsvReaderTests
{
    [Fact]
    public void Quoted_fields_span_lines_and_double_their_quotes_and_records_keep_their_first_line()
    {
        var records = CsvReader.Read("\uFEFFa,b,c\r\n1,\"two\nlines\",\"say \"\"hi\"\"\"\r\n\r\n2,,\"\"\n3,x,y").ToList();
        Assert.Equal([1, 2, 5, 6], records.Select(r => r.Line));
        Assert.Equal(["a", "b", "c"], records[0].Fields);
        Assert.Equal(["1", "two\nlines", "say \"hi\""], records[1].Fields);
        Assert.Equal(["2", "", ""], records[2].Fields);
        Assert.Equal(["3", "x", "y"], records[3].Fields);
        Assert.All(records, r => Assert.Null(r.Error));
    }

    [Fact]
    public void A_trailing_separator_gives_an_empty_last_field()
    {
        Assert.Equal(["a", ""], CsvReader.Read("a,\n").Single().Fields);
        Assert.Equal(["", "Question"], CsvReader.Read(",Question").Single().Fields);
    }

    [Fact]
    public void Text_after_a_closing_quote_and_an_unclosed_quote_are_errors_on_their_lines()
    {
        var records = CsvReader.Read("ok,1\n\"a\"b,2\nx,\"never\nclosed\n").ToList();
        Assert.Null(records[0].Error);
        Assert.Equal((2, "text after the closing quote of field 1"), (records[1].Line, records[1].Error));
        Assert.Equal((3, "quoted field opened on line 3 is never closed"), (records[2].Line, records[2].Error));
    }
}
