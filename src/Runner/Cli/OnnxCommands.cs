using System.CommandLine;
using Evals.Runner.Backends.Onnx.TinyModel;
using Evals.Runner.Backends.Onnx.Tokenization;
using Evals.Runner.Runs;

namespace Evals.Runner.Cli;

internal static class OnnxCommands
{
    public static Command Tokenize()
    {
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "A Hugging Face tokenizer.json (byte-level BPE)", Required = true };
        var input = new Option<FileInfo?>("--input") { Description = "Text file, one input per line (default: standard input)" };
        var command = new Command("tokenize", "Print the token ids of each input line, as Hugging Face's encode gives them") { tokenizer, input };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(tokenizer)!;
            if (!file.Exists) throw new BadInputException($"--tokenizer: {file.FullName} does not exist");
            Tokenizer loaded;
            try
            {
                loaded = Tokenizer.Load(file.FullName);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new BadInputException($"--tokenizer: {file.FullName}: {e.Message}");
            }
            var source = parse.GetValue(input);
            if (source is { Exists: false }) throw new BadInputException($"--input: {source.FullName} does not exist");
            using var reader = source is null ? Console.In : new StreamReader(source.FullName);
            TokenizeText.Run(loaded, reader, Console.Out);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Onnx()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write model.onnx, config and tokenizer files into", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the deterministic weights", DefaultValueFactory = _ => 42 };
        var tokenizerFile = new Option<FileInfo?>("--tokenizer")
        {
            Description = "A Hugging Face tokenizer.json to use instead of the built-in small one: it is copied (with a tokenizer_config.json beside it) and the vocabulary is sized to it",
        };
        var dtype = new Option<string>("--dtype")
        {
            Description = "How the weights are stored, after the onnx-community exports: fp32 (model.onnx), fp16 (model_fp16.onnx: fp16 weights, "
                + "KV cache and logits) or int4 (model_q4.onnx: MatMulNBits, block size 32, float32 I/O)",
            DefaultValueFactory = _ => "fp32",
        };
        var merged = new Option<bool>("--merged")
        {
            Description = "Write optimum's merged-decoder form (decoder_model_merged.onnx): a use_cache_branch input and an If that drops the past when it is false",
        };
        var makeTiny = new Command("make-tiny", "Write a tiny decoder-only causal LM (2 layers, KV cache, byte-level BPE tokenizer) for tests and drills") { output, seed, tokenizerFile, dtype, merged };
        makeTiny.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            var tinyConfig = parse.GetValue(dtype) switch
            {
                "fp32" => new TinyModelConfig(),
                "fp16" => new TinyModelConfig(Float16Io: true, Weights: TinyWeightType.Float16),
                "int4" => new TinyModelConfig(Weights: TinyWeightType.Int4),
                var other => throw new BadInputException($"--dtype: '{other}' is not one of fp32, fp16, int4"),
            } with { MergedDecoder = parse.GetValue(merged) };
            var tokenizerJson = parse.GetValue(tokenizerFile);
            if (tokenizerJson is not null)
            {
                if (!tokenizerJson.Exists) throw new BadInputException($"--tokenizer: {tokenizerJson.FullName} does not exist");
                try
                {
                    // Load it once up front so a bad file is one clear line, before anything is written.
                    Tokenizer.Load(tokenizerJson.FullName);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new BadInputException($"--tokenizer: {tokenizerJson.FullName}: {e.Message}");
                }
            }
            Directory.CreateDirectory(folder.FullName);
            var config = TinyModelWriter.Write(folder.FullName, parse.GetValue(seed), tokenizerJson?.FullName, tinyConfig);
            Console.WriteLine($"wrote a tiny model to {folder.FullName} ({config}); evaluate it with --model onnx:{folder.FullName}");
            return ExitCodes.Success;
        });
        var onnx = new Command("onnx", "ONNX model utilities");
        onnx.Subcommands.Add(makeTiny);
        return onnx;
    }
}
