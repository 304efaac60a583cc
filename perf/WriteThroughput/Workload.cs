using System.Globalization;
using System.Text;
using Evals.Storage.Results;

namespace Evals.WriteThroughput;

/// <summary>
/// The rows every method loads: deterministic (a fixed seed, a fixed clock), sized like a multiple-choice run on a
/// Chinese exam — a prompt of about 300 CJK characters with its four choices, a short raw output, a parsed letter.
/// </summary>
public static class Workload
{
    public const string Columns = "run_id, task_id, item_key, prompt, raw_output, parsed, reference, outcome, score, latency_ms, tokens_in, tokens_out, error, created_at";

    // Common characters of exam questions; drawn uniformly, so the text does not compress unrealistically well.
    private const string Hanzi =
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所" +
        "民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那" +
        "社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通" +
        "并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区" +
        "强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清";

    private static readonly string[] Subjects = ["高中物理", "初中化学", "法律职业资格", "中国近代史", "临床医学", "会计学", "计算机网络", "古代汉语"];
    private static readonly string[] Letters = ["A", "B", "C", "D"];

    public static ResultRow[] Generate(int count, Guid runId, Guid taskId)
    {
        var random = new Random(20_261_123);
        var start = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        var rows = new ResultRow[count];
        var text = new StringBuilder(400);
        for (var i = 0; i < count; i++)
        {
            text.Clear();
            text.Append("以下是中国关于").Append(Subjects[random.Next(Subjects.Length)]).Append("考试的单项选择题，请选出其中的正确答案。\n\n");
            AppendHanzi(text, random, 150 + random.Next(40));
            text.Append('\n');
            foreach (var letter in Letters)
            {
                text.Append(letter).Append(". ");
                AppendHanzi(text, random, 12 + random.Next(8));
                text.Append('\n');
            }
            text.Append("答案：");
            var prompt = text.ToString();

            var reference = Letters[random.Next(4)];
            var roll = random.Next(100);
            // 60 % correct, 33 % wrong, 5 % unparseable, 2 % errors: error rows carry no output, like the job's.
            var (outcome, parsed) = roll switch
            {
                < 60 => ("correct", reference),
                < 93 => ("wrong", Letters[(Array.IndexOf(Letters, reference) + 1 + random.Next(3)) % 4]),
                < 98 => ("unparseable", (string?)null),
                _ => ("error", null),
            };
            string? raw = null, error = null;
            if (outcome == "error") error = "HTTP 504 from backend: upstream request timed out after 60 s";
            else
            {
                text.Clear();
                if (parsed is not null) text.Append("答案是").Append(parsed).Append("。");
                AppendHanzi(text, random, 40 + random.Next(20));
                raw = text.ToString();
            }
            rows[i] = new ResultRow(
                runId, taskId, $"ceval-val-{i:D6}", prompt, raw, parsed, reference, outcome,
                Score: outcome == "correct" ? 1 : 0,
                LatencyMs: Math.Round(80 + random.NextDouble() * 1900, 3),
                TokensIn: 280 + random.Next(80),
                TokensOut: outcome == "error" ? 0 : 20 + random.Next(40),
                error,
                CreatedAt: start.AddMilliseconds(i * 37));
        }
        return rows;
    }

    private static void AppendHanzi(StringBuilder text, Random random, int count)
    {
        for (var i = 0; i < count; i++)
        {
            text.Append(Hanzi[random.Next(Hanzi.Length)]);
            if (i % 17 == 16) text.Append(i % 3 == 0 ? '。' : '，');
        }
    }

    /// <summary>
    /// Writes the rows as CSV for <c>psql \copy … (FORMAT csv)</c>: NULL is an unquoted empty field, every text value is
    /// quoted (so an empty string stays empty, and commas, quotes and newlines in prompts survive).
    /// </summary>
    public static void WriteCsv(string path, IReadOnlyList<ResultRow> rows)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 20);
        writer.NewLine = "\n";
        var inv = CultureInfo.InvariantCulture;
        foreach (var r in rows)
        {
            writer.Write(r.RunId.ToString("D"));
            writer.Write(',');
            writer.Write(r.TaskId.ToString("D"));
            writer.Write(',');
            Quoted(writer, r.ItemKey);
            writer.Write(',');
            Quoted(writer, r.Prompt);
            writer.Write(',');
            Quoted(writer, r.RawOutput);
            writer.Write(',');
            Quoted(writer, r.Parsed);
            writer.Write(',');
            Quoted(writer, r.Reference);
            writer.Write(',');
            Quoted(writer, r.Outcome);
            writer.Write(',');
            writer.Write(r.Score.ToString("R", inv));
            writer.Write(',');
            writer.Write(r.LatencyMs.ToString("R", inv));
            writer.Write(',');
            writer.Write(r.TokensIn.ToString(inv));
            writer.Write(',');
            writer.Write(r.TokensOut.ToString(inv));
            writer.Write(',');
            Quoted(writer, r.Error);
            writer.Write(',');
            writer.Write(r.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss.fffzzz", inv));
            writer.Write('\n');
        }
    }

    private static void Quoted(StreamWriter writer, string? value)
    {
        if (value is null) return;
        writer.Write('"');
        writer.Write(value.Replace("\"", "\"\""));
        writer.Write('"');
    }
}
