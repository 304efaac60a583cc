using System.CommandLine;
using System.Text.Json;
using Evals.Benchmarks.Ratings;
using Evals.Runner.Runs;
using Spectre.Console;

namespace Evals.Runner.Cli;

internal static class ArenaCommands
{
    public static Command Arena()
    {
        var battles = new Option<FileInfo>("--battles") { Description = "JSON array of battles in Chatbot Arena's format (model_a, model_b, winner[, tstamp])", Required = true };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap rounds for the Bradley-Terry intervals", DefaultValueFactory = _ => 1000 };
        var seed = new Option<long>("--seed") { Description = "Seed of the bootstrap", DefaultValueFactory = _ => 42 };
        var json = new Option<FileInfo?>("--json") { Description = "Write {elo: {model: rating}, bt: {model: {rating, ci_low, ci_high, votes}}}" };
        var rate = new Command("rate", "Elo (online, as Chatbot Arena) and Bradley-Terry ratings with bootstrap 95% intervals") { battles, bootstrap, seed, json };
        rate.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(battles)!;
            if (!file.Exists) throw new BadInputException($"--battles: {file.FullName} does not exist");
            var rounds = parse.GetValue(bootstrap);
            if (rounds < 0) throw new BadInputException($"--bootstrap must be 0 or more (got {rounds})");
            IReadOnlyList<Battle> list;
            try
            {
                list = BattleFile.Read(file.FullName);
            }
            catch (FormatException e)
            {
                throw new BadInputException(e.Message);
            }
            if (list.Count == 0) throw new BadInputException($"--battles: {file.FullName} holds no battles");

            var elo = EloRating.Compute(list);
            var bt = BradleyTerry.Leaderboard(list, rounds, parse.GetValue(seed));
            var eloTable = new Table().Title($"Elo (K=4, {list.Count} battles in time order)").AddColumns("rank", "model", "rating");
            var rank = 0;
            foreach (var (model, rating) in elo.ToDictionary().OrderByDescending(r => r.Value))
                eloTable.AddRow((++rank).ToString(), Markup.Escape(model), $"{rating:0.0}");
            AnsiConsole.Write(eloTable);
            var btTable = new Table().Title($"Bradley-Terry (MLE, {rounds} bootstrap rounds, seed {parse.GetValue(seed)})")
                .AddColumns("rank", "model", "rating", "95% CI", "votes");
            foreach (var row in bt.Rows)
                btTable.AddRow(row.BestRank == row.WorstRank ? row.BestRank.ToString() : $"{row.BestRank}–{row.WorstRank}", Markup.Escape(row.Model),
                    $"{row.Rating:0.0}", $"{row.CiLow:0.0} – {row.CiHigh:0.0}", row.Votes.ToString());
            AnsiConsole.Write(btTable);
            if (!bt.Converged) AnsiConsole.MarkupLine("[yellow]warning:[/] the fit did not converge (a model won or lost every battle it played); its rating is not finite in truth");

            if (parse.GetValue(json) is { } output)
            {
                var document = new
                {
                    elo = elo.ToDictionary(),
                    bt = bt.Rows.ToDictionary(r => r.Model, r => new { rating = r.Rating, ci_low = r.CiLow, ci_high = r.CiHigh, votes = r.Votes }),
                };
                await File.WriteAllTextAsync(output.FullName, JsonSerializer.Serialize(document, RunSummary.Json), ct);
            }
            return ExitCodes.Success;
        });
        var arena = new Command("arena", "Arena ratings");
        arena.Subcommands.Add(rate);
        return arena;
    }
}
