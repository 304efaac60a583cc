using System.CommandLine;
using Evals.Runner.Runs;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
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
            if (keyName.Length == 0) throw new BadInputException("--name must not be empty");
            var keyScope = parse.GetValue(scope)!.Trim();
            if (!ApiKey.Scopes.Contains(keyScope)) throw new BadInputException($"--scope '{keyScope}' must be one of {string.Join(", ", ApiKey.Scopes)}");
            if (parse.GetValue(rpm) is < 1) throw new BadInputException($"--rpm must be at least 1 (got {parse.GetValue(rpm)})");
            using var host = await CliHost.CreateAsync(worker: false, verbose: false, ct);
            var time = host.Services.GetRequiredService<TimeProvider>();
            var key = ApiKey.NewKey();
            await using var db = await host.Services.GetRequiredService<IDbContextFactory<EvalsDbContext>>().CreateDbContextAsync(ct);
            db.ApiKeys.Add(new ApiKey
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                Name = keyName,
                Scope = keyScope,
                Hash = ApiKey.HashOf(key),
                Prefix = key[..Math.Min(10, key.Length)],
                RequestsPerMinute = parse.GetValue(rpm),
                CreatedAt = time.GetUtcNow(),
            });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                throw new BadInputException($"--name '{keyName}': a key with that name exists");
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
            foreach (var k in await db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(ct))
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
            var now = time.GetUtcNow();
            var changed = await db.ApiKeys.Where(k => k.Name == parse.GetValue(revokeName) && k.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), ct);
            if (changed == 0) throw new BadInputException($"no active key named '{parse.GetValue(revokeName)}'");
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
