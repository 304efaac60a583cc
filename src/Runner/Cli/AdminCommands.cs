using System.CommandLine;
using Evals.Runner.Runs;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Evals.Runner.Cli;

internal static class AdminCommands
{
    public static Command Db()
    {
        var migrate = new Command("migrate", "Apply the database migrations (safe to run from several nodes at once)");
        migrate.SetAction(async (_, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            Console.WriteLine("database is up to date");
            return ExitCodes.Success;
        });
        var db = new Command("db", "Database administration");
        db.Subcommands.Add(migrate);
        return db;
    }

    public static Command Worker()
    {
        var probe = new Option<bool>("--probe")
        {
            Description = "Health probe: exit 0 when the worker started on this host has checked in with the cluster recently, 1 otherwise",
        };
        var nodeFile = new Option<string?>("--node-file")
        {
            Description = "File where the worker writes its node id and the probe reads it (default: Runner__NodeFile, else evals-worker.node in the temp folder)",
        };
        var command = new Command("worker", "Run as a worker node: execute queued runs until stopped (Ctrl+C)") { probe, nodeFile };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(probe))
                return await WorkerProbe.RunAsync(parse.GetValue(nodeFile), ct);
            using var host = await CliHost.CreateAsync(worker: true, verbose: true, ct);
            await host.StartAsync(ct);
            var scheduler = await host.Services.GetRequiredService<Quartz.ISchedulerFactory>().GetScheduler(ct);
            var file = WorkerProbe.NodeFile(parse.GetValue(nodeFile), host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>());
            await File.WriteAllTextAsync(file, scheduler.SchedulerInstanceId, ct);
            Console.Error.WriteLine($"worker started: node {scheduler.SchedulerInstanceId}; Ctrl+C stops it and hands its runs to other nodes");
            await host.WaitForShutdownAsync(ct);
            File.Delete(file);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Models()
    {
        var name = new Option<string>("--name") { Description = "Name to use wherever a spec is accepted", Required = true };
        var spec = new Option<string>("--spec") { Description = "Model spec", Required = true };
        var family = new Option<string?>("--family") { Description = "Model family (checkpoints of one model)" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint label" };
        var add = new Command("add", "Register a model version") { name, spec, family, checkpoint };
        add.SetAction(async (parse, ct) =>
        {
            var request = new ModelRegistrationRequest(parse.GetValue(name)!, parse.GetValue(spec)!, parse.GetValue(family), parse.GetValue(checkpoint));
            ModelRegistration.CheckName(request.Name); // before connecting to anything
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var model = await host.Services.GetRequiredService<ModelRegistration>().RegisterAsync(request, ct);
            Console.WriteLine($"registered {model.Name} = {model.Spec}");
            return ExitCodes.Success;
        });

        var list = new Command("list", "Registered models");
        list.SetAction(async (_, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            await using var db = await host.Services.GetRequiredService<IDbContextFactory<EvalsDbContext>>().CreateDbContextAsync(ct);
            var table = new Table().AddColumns("name", "spec", "family", "checkpoint", "registered", "accepted");
            foreach (var m in await db.Models.AsNoTracking().OrderBy(m => m.Family).ThenBy(m => m.CreatedAt).ToListAsync(ct))
                table.AddRow(Markup.Escape(m.Name), Markup.Escape(m.Spec), Markup.Escape(m.Family ?? ""), Markup.Escape(m.Checkpoint ?? ""), m.CreatedAt.ToString("u"),
                    m.AcceptedAt?.ToString("u") ?? "");
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        var models = new Command("models", "Register and list model versions");
        models.Subcommands.Add(add);
        models.Subcommands.Add(list);
        models.Subcommands.Add(Gate.GateModels.Accept());
        return models;
    }
}
