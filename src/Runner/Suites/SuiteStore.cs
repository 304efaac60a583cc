using System.Text.Json;
using Evals.Benchmarks.Suites;
using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Evals.Runner.Suites;

/// <summary>
/// Puts suite and task versions into the database (once per content hash) and reads tasks back, so that every worker
/// evaluates exactly the items the run was submitted with, whatever files it has.
/// </summary>
public sealed class SuiteStore(IDbContextFactory<EvalsDbContext> dbFactory, StorageConnection storage, TimeProvider time)
{
    public async Task<Suite> SaveAsync(SuiteDefinition suite, CancellationToken cancellationToken = default)
    {
        var taskIds = new List<Guid>();
        foreach (var task in suite.Tasks)
            taskIds.Add(await SaveTaskAsync(task, cancellationToken));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var existing = await db.Suites.FirstOrDefaultAsync(s => s.Name == suite.Name && s.Version == suite.Version, cancellationToken);
        if (existing is not null) return existing;
        var row = new Suite
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            Name = suite.Name,
            Version = suite.Version,
            CreatedAt = time.GetUtcNow(),
            Tasks = taskIds.Select((id, i) => new SuiteTask { TaskId = id, Position = i }).ToList(),
        };
        db.Suites.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return row;
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another process stored the same version first.
            await using var again = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await again.Suites.SingleAsync(s => s.Name == suite.Name && s.Version == suite.Version, cancellationToken);
        }
    }

    /// <summary>
    /// Stores task versions and their items without a suite row (what <c>evals import</c> does): a later run of any suite
    /// holding these versions finds them stored. Returns each task's id and whether this call inserted it.
    /// </summary>
    public async Task<IReadOnlyList<(LoadedTask Task, Guid Id)>> SaveTasksAsync(IEnumerable<LoadedTask> tasks, CancellationToken cancellationToken = default)
    {
        var saved = new List<(LoadedTask, Guid)>();
        foreach (var task in tasks) saved.Add((task, await SaveTaskAsync(task, cancellationToken)));
        return saved;
    }

    private async Task<Guid> SaveTaskAsync(LoadedTask loaded, CancellationToken cancellationToken)
    {
        var name = loaded.Task.FullName;
        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Serialise writers of the same task version; the unique index would reject the loser anyway, but this way the
        // loser simply finds the winner's rows.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue($"{name}@{loaded.Version}");
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var find = new NpgsqlCommand("SELECT id FROM tasks WHERE name = $1 AND version = $2", connection, transaction))
        {
            find.Parameters.AddWithValue(name);
            find.Parameters.AddWithValue(loaded.Version);
            if (await find.ExecuteScalarAsync(cancellationToken) is Guid id) return id;
        }
        var taskId = Guid.CreateVersion7(time.GetUtcNow());
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO tasks (id, name, version, kind, manifest, item_count, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)", connection, transaction))
        {
            insert.Parameters.AddWithValue(taskId);
            insert.Parameters.AddWithValue(name);
            insert.Parameters.AddWithValue(loaded.Version);
            insert.Parameters.AddWithValue(loaded.Task.Manifest.Kind);
            insert.Parameters.AddWithValue(JsonSerializer.Serialize(loaded.Task.Manifest, TaskManifest.Json));
            insert.Parameters.AddWithValue(loaded.Task.Items.Count);
            insert.Parameters.AddWithValue(time.GetUtcNow());
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var importer = await connection.BeginBinaryImportAsync("COPY items (task_id, split, key, ordinal, payload) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var item in loaded.Task.Items)
            {
                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(taskId, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(item.Split, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(item.Id, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(item.Ordinal, NpgsqlDbType.Integer, cancellationToken);
                await importer.WriteAsync(Evals.Storage.Text.StoredText.EscapeJson(item.Fields.GetRawText()), NpgsqlDbType.Jsonb, cancellationToken);
            }
            await importer.CompleteAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return taskId;
    }

    /// <summary>The suite's tasks as stored, with their items, ready to run.</summary>
    public async Task<IReadOnlyList<(Guid Id, EvalTask Task)>> LoadTasksAsync(Guid suiteId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var suite = await db.Suites.AsNoTracking().Include(s => s.Tasks).ThenInclude(t => t.Task).SingleAsync(s => s.Id == suiteId, cancellationToken);
        var result = new List<(Guid, EvalTask)>();
        foreach (var entry in suite.Tasks.OrderBy(t => t.Position))
        {
            var row = entry.Task!;
            var manifest = JsonSerializer.Deserialize<TaskManifest>(row.Manifest, TaskManifest.Json)!;
            var items = await db.Items.AsNoTracking().Where(i => i.TaskId == row.Id).OrderBy(i => i.Split).ThenBy(i => i.Ordinal)
                .Select(i => new { i.Key, i.Split, i.Ordinal, i.Payload }).ToListAsync(cancellationToken);
            var taskItems = items.Select(i => new TaskItem(i.Key, i.Split, i.Ordinal, JsonDocument.Parse(i.Payload).RootElement.Clone())).ToList();
            var suiteName = row.Name[..row.Name.IndexOf('/')];
            result.Add((row.Id, TaskKinds.Create(suiteName, manifest, taskItems)));
        }
        return result;
    }
}
