namespace Evals.Benchmarks.Suites;

/// <summary>Bad task data or manifest; the message names the file, the line and the field.</summary>
public sealed class TaskDataException(string message) : Exception(message);
