namespace Evals.Runner.Runs;

/// <summary>Bad usage or bad input: the CLI exits with 2 and the API answers 400; nothing has been written.</summary>
public sealed class BadInputException(string message) : Exception(message);
