using System.Text.Encodings.Web;
using System.Text.Json;
using Evals.Benchmarks.Ratings;

namespace Evals.Runner.Arena;

/// <summary>
/// Counted votes as a battle file in Chatbot Arena's published format, which <c>evals arena rate --battles FILE</c> (and
/// FastChat's rating code) reads back: <c>question_id</c>, <c>model_a</c>, <c>model_b</c>, <c>winner</c>, <c>judge</c>
/// (the voter's hash, shortened), <c>conversation_a</c> and <c>conversation_b</c> (every turn, each side with its own
/// answers), <c>turn</c> (the number of user turns), <c>anony</c>, <c>language</c>, <c>tstamp</c> (the vote's Unix time)
/// and <c>conv_metadata</c> (each side's style counts over all its answers, for style control). One battle per line, so
/// a reader's <c>file:line</c> points at one battle.
/// </summary>
public static class BattleExport
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(Stream output, IEnumerable<CountedConversation> battles, CancellationToken cancellationToken = default)
    {
        using var line = new MemoryStream();
        await output.WriteAsync("["u8.ToArray(), cancellationToken);
        var first = true;
        foreach (var battle in battles)
        {
            line.SetLength(0);
            line.Write(first ? "\n"u8 : ",\n"u8);
            first = false;
            using (var json = new Utf8JsonWriter(line, Options)) Write(json, battle);
            line.Position = 0;
            await line.CopyToAsync(output, cancellationToken);
        }
        await output.WriteAsync("\n]\n"u8.ToArray(), cancellationToken);
    }

    private static void Write(Utf8JsonWriter json, CountedConversation battle)
    {
        json.WriteStartObject();
        json.WriteString("question_id", battle.BattleId.ToString("N"));
        json.WriteString("model_a", battle.ModelA);
        json.WriteString("model_b", battle.ModelB);
        json.WriteString("winner", battle.Winner);
        json.WriteString("judge", "arena_user_" + battle.VisitorHash[..Math.Min(16, battle.VisitorHash.Length)]);
        WriteConversation(json, "conversation_a", battle.Turns, t => t.AnswerA);
        WriteConversation(json, "conversation_b", battle.Turns, t => t.AnswerB);
        json.WriteNumber("turn", battle.Turns.Count);
        json.WriteBoolean("anony", true);
        var categories = PromptCategories.Of(battle.Turns.Select(t => t.Prompt).ToList());
        json.WriteString("language", categories.Contains(PromptCategories.Chinese) ? "Chinese" : categories.Contains(PromptCategories.English) ? "English" : "unknown");
        json.WriteNumber("tstamp", battle.VotedAt.ToUnixTimeMilliseconds() / 1000.0);
        json.WriteStartObject("conv_metadata");
        WriteStyle(json, "a", AnswerStyle.Measure(battle.Turns.Select(t => t.AnswerA)));
        WriteStyle(json, "b", AnswerStyle.Measure(battle.Turns.Select(t => t.AnswerB)));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteConversation(Utf8JsonWriter json, string name, IReadOnlyList<CountedConversation.Turn> turns, Func<CountedConversation.Turn, string> answer)
    {
        json.WriteStartArray(name);
        foreach (var turn in turns)
        {
            json.WriteStartObject();
            json.WriteString("role", "user");
            json.WriteString("content", turn.Prompt);
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteString("role", "assistant");
            json.WriteString("content", answer(turn));
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteStyle(Utf8JsonWriter json, string side, AnswerStyle style)
    {
        json.WriteNumber($"sum_assistant_{side}_tokens", style.Tokens);
        json.WriteNumber($"header_count_{side}", style.Headers);
        json.WriteNumber($"list_count_{side}", style.Lists);
        json.WriteNumber($"bold_count_{side}", style.Bold);
    }
}
