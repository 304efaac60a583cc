namespace Evals.Benchmarks.Models;

/// <summary>
/// Thrown by a backend when the provider declined to answer (a content-filter finish reason or error code, such as
/// DashScope's <c>data_inspection_failed</c>). The item's outcome is <c>refused</c>: neither a transport error nor a
/// wrong answer. The message says what the provider reported and never holds credentials.
/// </summary>
public sealed class ModelRefusedException(string message) : Exception(message);
