using Evals.Runner.Backends.Onnx.Native;
using Evals.Runner.Backends.Onnx.TinyModel;

namespace Evals.Runner.Tests.Onnx;

public sealed class TinyModelGraphTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void Prefill_logits_from_onnx_runtime_match_the_reference_forward_pass()
    {
        var runtime = OrtRuntime.Load();
        using var session = OrtSession.Create(runtime, Path.Combine(tiny.Folder, "model.onnx"), new SessionSettings());
        int[] ids = [5, 17, 200, 33, 9, 101, 250];
        var c = tiny.Config;
        var inputs = new List<OrtTensor>
        {
            OrtTensor.FromArray(runtime, ids.Select(i => (long)i).ToArray(), [1, ids.Length]),
            OrtTensor.FromArray(runtime, Enumerable.Repeat(1L, ids.Length).ToArray(), [1, ids.Length]),
            OrtTensor.FromArray(runtime, Enumerable.Range(0, ids.Length).Select(i => (long)i).ToArray(), [1, ids.Length]),
        };
        var names = new List<string> { "input_ids", "attention_mask", "position_ids" };
        for (var l = 0; l < c.Layers; l++)
        {
            foreach (var kind in new[] { "key", "value" })
            {
                names.Add($"past_key_values.{l}.{kind}");
                inputs.Add(OrtTensor.Empty(runtime, TensorElementType.Float, [1, c.KvHeads, 0, c.HeadDim]));
            }
        }
        var outputs = session.Run(names, inputs, ["logits", "present.0.key"]);
        try
        {
            Assert.Equal([1L, ids.Length, c.VocabSize], outputs[0].Shape);
            Assert.Equal([1L, c.KvHeads, ids.Length, c.HeadDim], outputs[1].Shape);
            var expected = TinyReference.Forward(tiny.Weights, ids);
            var actual = outputs[0].Span<float>().ToArray();
            var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(maxDiff < 1e-4, $"max |diff| {maxDiff}");
        }
        finally
        {
            foreach (var t in inputs.Concat(outputs)) t.Dispose();
        }
    }
}
