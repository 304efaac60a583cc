using System.Runtime.CompilerServices;

// The throughput benchmark drives CausalLM directly (exact token counts, no EOS or chat template), as the tests do.
[assembly: InternalsVisibleTo("Evals.OnnxThroughput")]
