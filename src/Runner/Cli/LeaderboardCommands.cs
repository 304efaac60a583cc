using System.CommandLine;
using Evals.Runner.Leaderboards;
using Evals.Runner.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace Evals.Runner.Cli;

/// <summary><c>evals leaderboard export --html DIR [--suite S]</c>: the public leaderboard as a static site (<see cref="LeaderboardSnapshot"/>).</summary>
internal static class LeaderboardCommands
{
    public static Command Leaderboard()
    {
        var html = new Option<DirectoryInfo>("--html") { Description = "Folder to write the static site into (created if missing; files of the same name are replaced)", Required = true };
        var suite = new Option<string?>("--suite") { Description = "Only this suite (default: every public suite with a succeeded run)" };
        var export = new Command("export", "Write the leaderboard as self-contained HTML pages with their CSV and JSON, to publish without running the site") { html, suite };
        export.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(html)!;
            if (File.Exists(dir.FullName)) throw new BadInputException($"--html {dir.FullName}: is a file, not a folder");
            if (dir.Parent is { Exists: false } parent) throw new BadInputException($"--html {dir.FullName}: its parent folder {parent.FullName} does not exist");
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var snapshot = ActivatorUtilities.CreateInstance<LeaderboardSnapshot>(host.Services);
            var files = await snapshot.WriteAsync(dir.FullName, parse.GetValue(suite), ct);
            foreach (var file in files) Console.WriteLine(Path.Combine(dir.FullName, file));
            return ExitCodes.Success;
        });
        return new Command("leaderboard", "The public leaderboard outside the site") { export };
    }
}
