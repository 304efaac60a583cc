using System.CommandLine;
using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Keys;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Evals.Runner.Cli;

internal static class KeyCommands
{
    public static Command Keys()
    {
        var name = new Option<string>("--name") { Description = "Who or what the key is for", Required = true };
        var scope = new Option<string>("--scope") { Description = "v1 (the OpenAI-compatible API), feedback, or admin (signs in to the web admin pages)", Required = true };
        var rpm = new Option<int?>("--rpm") { Description = "Requests per minute for this key (default: the server's V1:RequestsPerMinute)" };
        var create = new Command("create", "Create an API key; it is printed once, as the last line, and only its hash is stored") { name, scope, rpm };
        create.SetAction(async (parse, ct) =>
        {
            var keyName = parse.GetValue(name)!.Trim();
            var keyScope = parse.GetValue(scope)!.Trim();
            // Checked before starting the host so that bad input costs nothing; the registry checks again.
            if (keyName.Length == 0) throw new BadInputException("--name must not be empty");
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var time = host.Services.GetRequiredService<TimeProvider>();
            await using var db = await host.Services.GetRequiredService<IDbContextFactory<EvalsDbContext>>().CreateDbContextAsync(ct);
            string key;
            try
            {
                key = await ApiKeyRegistry.CreateAsync(db, time, keyName, keyScope, parse.GetValue(rpm), ct);
            }
            catch (ApiKeyInputException e)
            {
                throw new BadInputException($"--{e.Field} {e.Message}");
            }
            Console.Error.WriteLine($"created {keyScope} key '{keyName}'; it is shown once, store it now:");
            Console.WriteLine(key);
            return ExitCodes.Success;
        });

        var list = new Command("list", "API keys (names, scopes, prefixes; never the keys)");
        list.SetAction(async (_, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            await using var db = await host.Services.GetRequiredService<IDbContextFactory<EvalsDbContext>>().CreateDbContextAsync(ct);
            var table = new Table().AddColumns("name", "scope", "prefix", "rpm", "created", "revoked");
            foreach (var k in await ApiKeyRegistry.ListAsync(db, ct))
                table.AddRow(Markup.Escape(k.Name), k.Scope, Markup.Escape(k.Prefix) + "…", k.RequestsPerMinute?.ToString() ?? "default", k.CreatedAt.ToString("u"), k.RevokedAt?.ToString("u") ?? "");
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });

        var revokeName = new Argument<string>("name") { Description = "The key's name" };
        var revoke = new Command("revoke", "Revoke a key: it stops working at once") { revokeName };
        revoke.SetAction(async (parse, ct) =>
        {
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var time = host.Services.GetRequiredService<TimeProvider>();
            await using var db = await host.Services.GetRequiredService<IDbContextFactory<EvalsDbContext>>().CreateDbContextAsync(ct);
            if (!await ApiKeyRegistry.RevokeAsync(db, time, parse.GetValue(revokeName)!, ct))
                throw new BadInputException($"no active key named '{parse.GetValue(revokeName)}'");
            Console.WriteLine("revoked");
            return ExitCodes.Success;
        });

        var keys = new Command("keys", "API keys for /v1 and feedback");
        keys.Subcommands.Add(create);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(revoke);
        return keys;
    }
}
