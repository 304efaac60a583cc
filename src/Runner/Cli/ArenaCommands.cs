using System.CommandLine;
using System.Text.Json;
using Evals.Benchmarks.Ratings;
using Evals.Runner.Arena;
using Evals.Runner.Runs;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Evals.Runner.Cli;

internal static class ArenaCommands
{
    public static Command Arena()
    {
        var battles = new Option<FileInfo>("--battles") { Description = "JSON array of battles in Chatbot Arena's format (model_a, model_b, winner[, tstamp])", Required = true };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap rounds for the Bradley-Terry intervals", DefaultValueFactory = _ => 1000 };
        var seed = new Option<long>("--seed") { Description = "Seed of the bootstrap", DefaultValueFactory = _ => 42 };
        var json = new Option<FileInfo?>("--json") { Description = "Write {elo: {model: rating}, bt: {model: {rating, ci_low, ci_high, votes}}, style_control, style_coefficients (with --style-control)}" };
        var styleControl = new Option<bool>("--style-control")
        {
            Description = "Also fit Chatbot Arena's style control (answer length, headers, lists, bold as covariates); every battle needs conv_metadata",
        };
        var category = new Option<string?>("--category")
        {
            Description = "Rate only battles whose prompt is in this category (chinese, english, mixed, code, math, creative_writing, long_prompt, multi_turn; see docs/arena.md)",
        };
        var includeNamed = new Option<bool>("--include-named")
        {
            Description = "Also rate battles whose voter saw the models' names (\"anony\": false); by default they are left out, as Chatbot Arena's leaderboard leaves them out",
        };
        var rate = new Command("rate", "Elo (online, as Chatbot Arena) and Bradley-Terry ratings with bootstrap 95% intervals") { battles, bootstrap, seed, json, styleControl, category, includeNamed };
        rate.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(battles)!;
            if (!file.Exists) throw new BadInputException($"--battles: {file.FullName} does not exist");
            var rounds = parse.GetValue(bootstrap);
            if (rounds < 0) throw new BadInputException($"--bootstrap must be 0 or more (got {rounds})");
            IReadOnlyList<Battle> list;
            try
            {
                list = BattleFile.Read(file.FullName, requireStyle: parse.GetValue(styleControl), readCategories: parse.GetValue(category) is not null);
            }
            catch (FormatException e)
            {
                throw new BadInputException(e.Message);
            }
            if (list.Count == 0) throw new BadInputException($"--battles: {file.FullName} holds no battles");
            if (!parse.GetValue(includeNamed) && list.Any(b => b.Named))
            {
                var all = list;
                list = all.Where(b => !b.Named).ToList();
                if (list.Count == 0)
                    throw new BadInputException($"--battles: every one of the {all.Count} battles in {file.FullName} is named (\"anony\": false); --include-named rates them");
                AnsiConsole.WriteLine($"{all.Count - list.Count} of {all.Count} battles left out: their voters saw the models' names (\"anony\": false; --include-named keeps them)");
            }
            if (parse.GetValue(category) is { } wanted)
            {
                var all = list;
                list = all.Where(b => b.Categories!.Contains(wanted, StringComparer.Ordinal)).ToList();
                if (list.Count == 0)
                    throw new BadInputException($"--category {wanted}: none of the {all.Count} battles in {file.FullName} is in it (found: "
                        + string.Join(", ", all.SelectMany(b => b.Categories!).Distinct().Order(StringComparer.Ordinal).DefaultIfEmpty("no category")) + ")");
                AnsiConsole.WriteLine($"category {wanted}: {list.Count} of {all.Count} battles");
            }

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
            var styled = parse.GetValue(styleControl) ? StyleControl.Leaderboard(list, rounds, parse.GetValue(seed)) : null;
            if (styled is not null)
            {
                var raw = bt.Rows.ToDictionary(r => r.Model);
                var styleTable = new Table().Title($"Style control (length, headers, lists, bold as covariates; {rounds} bootstrap rounds)")
                    .AddColumns("rank", "model", "style-controlled", "95% CI", "raw", "change");
                foreach (var row in styled.Rows)
                    styleTable.AddRow(row.BestRank == row.WorstRank ? row.BestRank.ToString() : $"{row.BestRank}–{row.WorstRank}", Markup.Escape(row.Model),
                        $"{row.Rating:0.0}", $"{row.CiLow:0.0} – {row.CiHigh:0.0}", $"{raw[row.Model].Rating:0.0}", $"{row.Rating - raw[row.Model].Rating:+0.0;-0.0;0.0}");
                AnsiConsole.Write(styleTable);
                AnsiConsole.WriteLine("style coefficients (log-odds per standard deviation): "
                    + string.Join(", ", StyleControl.FeatureNames.Select((name, k) => $"{name} {styled.Coefficients[k]:0.0000}")));
                if (!styled.Converged) AnsiConsole.MarkupLine("[yellow]warning:[/] the style-controlled fit did not converge");
            }

            if (parse.GetValue(json) is { } output)
            {
                var document = new
                {
                    elo = elo.ToDictionary(),
                    bt = bt.Rows.ToDictionary(r => r.Model, r => new { rating = r.Rating, ci_low = r.CiLow, ci_high = r.CiHigh, votes = r.Votes }),
                    style_control = styled?.Rows.ToDictionary(r => r.Model, r => new { rating = r.Rating, ci_low = r.CiLow, ci_high = r.CiHigh, votes = r.Votes }),
                    style_coefficients = styled is null ? null : StyleControl.FeatureNames.Select((name, k) => (name, k)).ToDictionary(x => x.name, x => styled.Coefficients[x.k]),
                };
                await File.WriteAllTextAsync(output.FullName, JsonSerializer.Serialize(document, RunSummary.Json), ct);
            }
            return ExitCodes.Success;
        });
        var arena = new Command("arena", "Arena ratings");
        arena.Subcommands.Add(rate);
        arena.Subcommands.Add(Export());
        return arena;
    }

    /// <summary><c>evals arena export --out FILE</c>: the counted votes as a battle file, what the admin export serves.</summary>
    private static Command Export()
    {
        var output = new Option<FileInfo>("--out")
        {
            Description = "File to write the counted votes to, in Chatbot Arena's battle format with every turn (what GET /api/arena/battles/export serves; arena rate --battles reads it)",
            Required = true,
        };
        var export = new Command("export", "Write the arena's counted votes as a battle file in Chatbot Arena's format") { output };
        export.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(output)!;
            if (Directory.Exists(file.FullName)) throw new BadInputException($"--out {file.FullName}: is a folder, not a file");
            if (file.Directory is { Exists: false } parent) throw new BadInputException($"--out {file.FullName}: its folder {parent.FullName} does not exist");
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            IReadOnlyList<CountedConversation> battles;
            await using (var db = await host.Services.GetRequiredService<IDbContextFactory<EvalsDbContext>>().CreateDbContextAsync(ct))
                battles = await ArenaRatingsCalculator.CountedConversationsAsync(db, ct);
            // Written beside the target and moved into place, so a failed export leaves no half file.
            var partial = file.FullName + ".partial";
            try
            {
                await using (var stream = File.Create(partial)) await BattleExport.WriteAsync(stream, battles, ct);
                File.Move(partial, file.FullName, overwrite: true);
            }
            finally
            {
                File.Delete(partial);
            }
            Console.WriteLine($"{battles.Count} battles ({battles.Sum(b => b.Turns.Count)} turns) written to {file.FullName}");
            return ExitCodes.Success;
        });
        return export;
    }
}
