namespace Evals.Runner.Backends.Onnx.Tokenization;

/// <summary>
/// The body of <c>evals tokenize --tokenizer FILE [--input FILE]</c>: for each input line (without its newline) one output
/// line of ids separated by single spaces. Special tokens of the post-processor are added, as Hugging Face's encode does.
/// </summary>
public static class TokenizeText
{
    public static void Run(Tokenizer tokenizer, TextReader input, TextWriter output)
    {
        while (input.ReadLine() is { } line)
        {
            var ids = tokenizer.Encode(line, addSpecialTokens: true);
            for (var i = 0; i < ids.Length; i++)
            {
                if (i > 0) output.Write(' ');
                output.Write(ids[i]);
            }
            output.Write('\n');
        }
    }
}
