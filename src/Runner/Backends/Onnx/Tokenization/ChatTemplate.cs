using System.Text;
using System.Text.Json;

namespace Evals.Runner.Backends.Onnx.Tokenization;

public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// The chat formats Evals renders itself instead of running Jinja: ChatML (Qwen2/2.5/3) and Llama 3, recognised from the
/// <c>chat_template</c> in tokenizer_config.json. Renders the conversation plus the assistant header that prompts a reply.
/// </summary>
public abstract class ChatTemplate
{
    public abstract string Name { get; }

    public abstract string Render(IReadOnlyList<ChatMessage> messages);

    /// <summary>The template named by tokenizer_config.json, or null when it has none (raw prompts only).</summary>
    public static ChatTemplate? FromTokenizerConfig(string path)
    {
        if (!File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (!doc.RootElement.TryGetProperty("chat_template", out var t)) return null;
        var template = t.ValueKind switch
        {
            JsonValueKind.String => t.GetString() ?? "",
            // Some configs hold a list of named templates; the default one is what generation uses.
            JsonValueKind.Array => t.EnumerateArray().Where(e => e.GetProperty("name").GetString() == "default").Select(e => e.GetProperty("template").GetString()).FirstOrDefault() ?? "",
            _ => "",
        };
        return FromTemplateText(template, path);
    }

    public static ChatTemplate? FromTemplateText(string template, string source)
    {
        if (template.Length == 0) return null;
        if (template.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            // Qwen2.5 inserts its own system message when none is given; Qwen3 does not, and takes an empty think block to answer directly.
            var defaultSystem = template.Contains("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", StringComparison.Ordinal)
                ? "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." : null;
            return new ChatMl(defaultSystem, thinkingSwitch: template.Contains("enable_thinking", StringComparison.Ordinal));
        }
        if (template.Contains("<|start_header_id|>", StringComparison.Ordinal)) return new Llama3();
        throw new TokenizerException($"{source}: chat_template is neither ChatML (<|im_start|>) nor Llama 3 (<|start_header_id|>); use raw prompts (chat=off)");
    }

    private sealed class ChatMl(string? defaultSystem, bool thinkingSwitch) : ChatTemplate
    {
        public override string Name => thinkingSwitch ? "chatml (qwen3, thinking off)" : "chatml";

        public override string Render(IReadOnlyList<ChatMessage> messages)
        {
            var sb = new StringBuilder();
            if (defaultSystem is not null && (messages.Count == 0 || messages[0].Role != "system"))
                sb.Append("<|im_start|>system\n").Append(defaultSystem).Append("<|im_end|>\n");
            foreach (var m in messages) sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
            sb.Append("<|im_start|>assistant\n");
            if (thinkingSwitch) sb.Append("<think>\n\n</think>\n\n");
            return sb.ToString();
        }
    }

    private sealed class Llama3 : ChatTemplate
    {
        public override string Name => "llama3";

        public override string Render(IReadOnlyList<ChatMessage> messages)
        {
            var sb = new StringBuilder("<|begin_of_text|>");
            foreach (var m in messages)
                sb.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(m.Content.Trim()).Append("<|eot_id|>");
            sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
            return sb.ToString();
        }
    }
}
