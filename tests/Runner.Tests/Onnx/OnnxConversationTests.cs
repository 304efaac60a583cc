using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Onnx;

namespace Evals.Runner.Tests.Onnx;

/// <summary>The in-process engine takes a conversation whole: every turn through the folder's chat template.</summary>
public sealed class OnnxConversationTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly TaskContext Task = new("cuge/kdconv", null);

    private static readonly IReadOnlyList<ChatTurn> Turns =
        [new("system", "你是导游。"), new("user", "知道保和殿吗？"), new("assistant", "知道呀，北京故宫中的一座殿宇式建筑。"), new("user", "游玩需要多长时间？")];

    [Fact]
    public async Task A_conversation_is_rendered_turn_by_turn_and_generated_from()
    {
        var backend = tiny.Backend;
        var request = new GenerateRequest(Task, "3-3", Conversation.ToStored(Turns), ["\n"], new DecodingOptions(MaxTokens: 8), Messages: Turns);
        Assert.Equal(
            "<|im_start|>system\n你是导游。<|im_end|>\n<|im_start|>user\n知道保和殿吗？<|im_end|>\n"
            + "<|im_start|>assistant\n知道呀，北京故宫中的一座殿宇式建筑。<|im_end|>\n<|im_start|>user\n游玩需要多长时间？<|im_end|>\n<|im_start|>assistant\n",
            backend.RenderPrompt(request));

        var generation = await backend.GenerateAsync(request);
        Assert.Equal(backend.Folder.Tokenizer.Encode(backend.RenderPrompt(request)).Length, generation.PromptTokens);
        // Not the stored text wrapped as one user turn: that is a longer, different prompt.
        Assert.NotEqual(backend.Folder.Tokenizer.Encode(backend.RenderPrompt(request.Prompt)).Length, generation.PromptTokens);
        // A single-string request renders as it always did.
        var single = request with { Messages = null, Prompt = "游玩需要多长时间？" };
        Assert.Equal("<|im_start|>user\n游玩需要多长时间？<|im_end|>\n<|im_start|>assistant\n", backend.RenderPrompt(single));
    }

    [Fact]
    public async Task Log_likelihood_over_a_conversation_scores_the_start_of_the_assistant_reply()
    {
        var backend = tiny.Backend;
        string[] continuations = ["1小时。", "半天。"];
        var conversation = await backend.ScoreChoicesAsync(new ChoiceRequest(Task, "3-3", Conversation.ToStored(Turns), continuations, Turns));
        var rendered = await backend.ScoreChoicesAsync(new ChoiceRequest(Task, "3-3", backend.RenderConversation(Turns), continuations));
        Assert.Equal(rendered.LogLikelihoods, conversation.LogLikelihoods);
        Assert.Equal(backend.Folder.Tokenizer.Encode(backend.RenderConversation(Turns)).Length, conversation.PromptTokens);
        var stored = await backend.ScoreChoicesAsync(new ChoiceRequest(Task, "3-3", Conversation.ToStored(Turns), continuations));
        Assert.NotEqual(stored.LogLikelihoods, conversation.LogLikelihoods);
    }

    [Fact]
    public async Task Without_the_chat_template_a_conversation_is_refused_and_so_is_one_the_model_cannot_answer()
    {
        await using var raw = OnnxBackend.Create(ModelSpec.Parse($"onnx:{tiny.Folder}?threads=1&chat=off"));
        var request = new GenerateRequest(Task, "3-3", Conversation.ToStored(Turns), [], new DecodingOptions(MaxTokens: 4), Messages: Turns);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => raw.GenerateAsync(request));
        Assert.Equal("a multi-turn prompt needs the model's chat template, which chat=off turns off", e.Message);
        var scoring = await Assert.ThrowsAsync<ArgumentException>(() => raw.ScoreChoicesAsync(new ChoiceRequest(Task, "3-3", request.Prompt, ["好"], Turns)));
        Assert.Equal(e.Message, scoring.Message);

        var endsWithAssistant = request with { Messages = [.. Turns.Take(3)] };
        var wrong = await Assert.ThrowsAsync<ArgumentException>(() => tiny.Backend.GenerateAsync(endsWithAssistant));
        Assert.Equal("messages: item 3: the last turn must be the user's (the model writes the next one), not the assistant's", wrong.Message);
    }
}
