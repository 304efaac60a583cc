namespace Evals.Benchmarks.Models;

/// <summary>
/// Thrown by <see cref="IModelBackend.ScoreChoicesAsync"/> when the endpoint turns out not to score log-likelihoods (an
/// OpenAI-compatible server without echoed logprobs on /v1/completions). The run answers the item by generation instead
/// and records that mode. The message says which endpoint and why.
/// </summary>
public sealed class LogLikelihoodUnavailableException(string message) : NotSupportedException(message);
