using System.CommandLine;
using Evals.Runner.Cli;
using Evals.Runner.Runs;
using Evals.Storage.Embedded;

var root = new RootCommand("Evals: evaluate Chinese LLMs on task suites. Exit codes: 0 success, 1 the work failed, 2 bad usage or input.")
{
    AdminCommands.Db(),
    AdminCommands.Worker(),
    RunCommands.Run(),
    RunCommands.Runs(),
    GateCommands.Gate(),
    AbCommands.Ab(),
    ImportCommands.Import(),
    DatasetCommands.Datasets(),
    AdminCommands.Models(),
    KeyCommands.Keys(),
    OnnxCommands.Tokenize(),
    OnnxCommands.Onnx(),
    ArenaCommands.Arena(),
    JudgeCommands.JudgeCheck(),
    HalluQaCommands.HalluQa(),
    LeaderboardCommands.Leaderboard(),
};

// Redirected output (CI logs, pipes) gets wide tables instead of 80-column wrapping.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("see `evals --help`");
    return ExitCodes.BadInput;
}
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (BadInputException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.BadInput;
}
catch (Evals.Runner.Datasets.DatasetDownloadException e)
{
    Console.Error.WriteLine($"error: {e.Message}; nothing was imported");
    return ExitCodes.Failed;
}
catch (PostgresNotFoundException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.Failed;
}
catch (DatabaseUnavailableException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.Failed;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("interrupted");
    return 130;
}
