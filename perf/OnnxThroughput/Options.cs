namespace Evals.OnnxThroughput;

public sealed record Options(
    int Hidden = 512,
    int Layers = 8,
    int Heads = 8,
    int KvHeads = 2,
    int Intermediate = 1536,
    int Vocab = 8192,
    int Prompt = 128,
    int Decode = 128,
    int Repeats = 5,
    int Threads = 0,
    string Node = "node",
    string? OrtNode = null,
    string? ModelDir = null,
    string Device = "cpu",
    string? CudaProvider = null,
    bool Batching = false)
{
    public const string Usage =
        "usage: OnnxThroughput [--hidden N (512)] [--layers N (8)] [--heads N (8)] [--kv-heads N (2)] [--intermediate N (1536)] [--vocab N (8192)]\n"
        + "                      [--prompt N (128)] [--decode N (128)] [--repeats N (5)] [--threads N (cores)] [--node PATH (node)]\n"
        + "                      [--ort-node DIR (~/.cache/evals/onnxruntime-node-bench/1.30.0/node_modules/onnxruntime-node)] [--model-dir DIR (temp, deleted)]\n"
        + "                      [--device cpu|cuda|auto (cpu)] [--cuda-provider PATH] [--batching yes]   (--node none: Evals only, e.g. on a GPU machine without Node)";

    public bool UseNode => Node != "none";

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    public string EffectiveOrtNode => OrtNode ?? Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "evals", "onnxruntime-node-bench", "1.30.0", "node_modules", "onnxruntime-node");

    public static Options? Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            int? n = int.TryParse(value, out var parsed) && parsed >= 1 ? parsed : null;
            o = (args[i], n, value) switch
            {
                ("--hidden", { } v, _) => o with { Hidden = v },
                ("--layers", { } v, _) => o with { Layers = v },
                ("--heads", { } v, _) => o with { Heads = v },
                ("--kv-heads", { } v, _) => o with { KvHeads = v },
                ("--intermediate", { } v, _) => o with { Intermediate = v },
                ("--vocab", { } v, _) => o with { Vocab = v },
                ("--prompt", { } v, _) => o with { Prompt = v },
                ("--decode", { } v, _) => o with { Decode = v },
                ("--repeats", { } v, _) => o with { Repeats = v },
                ("--threads", { } v, _) => o with { Threads = v },
                ("--node", _, { Length: > 0 } s) => o with { Node = s },
                ("--ort-node", _, { Length: > 0 } s) => o with { OrtNode = s },
                ("--model-dir", _, { Length: > 0 } s) => o with { ModelDir = s },
                ("--device", _, "cpu" or "cuda" or "auto") => o with { Device = value! },
                ("--cuda-provider", _, { Length: > 0 } s) => o with { CudaProvider = s },
                ("--batching", _, "yes") => o with { Batching = true },
                _ => null,
            };
            if (o is null) return null;
        }
        return o.Hidden % o.Heads == 0 && o.Heads % o.KvHeads == 0 ? o : null;
    }
}
