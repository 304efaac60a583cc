namespace Evals.Runner.Backends.Onnx;

/// <summary>
/// How big a batch may grow: a bound on the positions held in the KV cache at once (rows × length,
/// <c>max_batch_tokens</c>), on the rows (<c>batch_items</c>) and on the bytes the batch needs (<c>memory_gb</c>), where
/// bytes are the KV cache (bytes per position from the model's layout) plus the float logits of the positions fed.
/// </summary>
internal sealed record BatchBudget(int MaxBatchTokens, int MaxRows, long MemoryBytes)
{
    public const int DefaultMaxBatchTokens = 16384;
    public const int DefaultMaxRows = 32;
    public const double DefaultMemoryGb = 4;

    /// <summary>KV bytes per position of one row: key and value of every layer.</summary>
    public static long KvBytesPerToken(DecoderLayout layout) =>
        2L * layout.Layers.Count * layout.KvHeads * layout.HeadDim * Native.OrtTensor.ElementSize(layout.KvType);

    /// <summary>Whether <paramref name="rows"/> rows of <paramref name="length"/> cached positions, <paramref name="fed"/> of them fed in one pass, fit.</summary>
    public bool Fits(DecoderLayout layout, int rows, int length, int fed) =>
        rows <= MaxRows
        && (long)rows * length <= MaxBatchTokens
        && rows * (length * KvBytesPerToken(layout) + (long)fed * layout.LogitsVocab * 4) <= MemoryBytes;

    /// <summary>What the run's report says about the budget.</summary>
    public string Describe(DecoderLayout layout) =>
        $"max_batch_tokens={MaxBatchTokens}, batch_items={MaxRows}, memory_gb={MemoryBytes / (1024.0 * 1024 * 1024):0.##} (KV {KvBytesPerToken(layout)} B/token)";
}

/// <summary>What the batched paths did, for the run's report and the benchmark.</summary>
internal sealed class BatchStats
{
    public long Batches { get; set; }
    public long Rows { get; set; }
    public int LargestBatch { get; set; }
    public long Tokens { get; set; }
    public long Halvings { get; set; }
    public long Rebuilds { get; set; }
    public TimeSpan RebuildTime { get; set; }
    public TimeSpan EngineTime { get; set; }
    /// <summary>Passes that prefilled joining prompts, and their time (the rest of the passes are decode steps).</summary>
    public long Prefills { get; set; }
    public TimeSpan PrefillTime { get; set; }
    public TimeSpan DecodeTime { get; set; }

    public void Batch(int rows)
    {
        Batches++;
        Rows += rows;
        LargestBatch = Math.Max(LargestBatch, rows);
    }

    public double MeanBatch => Batches == 0 ? 0 : (double)Rows / Batches;

    public double TokensPerSecond => EngineTime.TotalSeconds > 0 ? Tokens / EngineTime.TotalSeconds : 0;
}
