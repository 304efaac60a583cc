using System.Diagnostics;
using Evals.Storage.Results;
using Npgsql;
using NpgsqlTypes;

namespace Evals.WriteThroughput;

/// <summary>The three ways of loading the rows that the benchmark compares. Each returns the rows written and the time taken.</summary>
public static class Loaders
{
    /// <summary>The writer under test, one <see cref="ResultWriter.WriteAsync"/> call (one transaction) per batch, on one open connection.</summary>
    public static async Task<(int Rows, TimeSpan Elapsed)> WriterAsync(NpgsqlConnection connection, ResultRow[][] batches, CancellationToken cancellationToken)
    {
        var written = 0;
        var watch = Stopwatch.StartNew();
        foreach (var batch in batches) written += await ResultWriter.WriteAsync(connection, batch, cancellationToken);
        return (written, watch.Elapsed);
    }

    /// <summary>
    /// The row-by-row baseline: one parameterised INSERT per row, autocommit (so one WAL flush per row, as a naive writer
    /// gets), on one open connection. The statement is prepared once, which is the kindest version of this baseline.
    /// </summary>
    public static async Task<(int Rows, TimeSpan Elapsed)> InsertLoopAsync(NpgsqlConnection connection, IReadOnlyList<ResultRow> rows, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO results ({Workload.Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)", connection);
        var runId = new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid };
        var taskId = new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid };
        var itemKey = new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text };
        var prompt = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        var raw = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        var parsed = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        var reference = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        var outcome = new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text };
        var score = new NpgsqlParameter<double> { NpgsqlDbType = NpgsqlDbType.Double };
        var latency = new NpgsqlParameter<double> { NpgsqlDbType = NpgsqlDbType.Double };
        var tokensIn = new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer };
        var tokensOut = new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer };
        var error = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text };
        var createdAt = new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz };
        insert.Parameters.AddRange(new NpgsqlParameter[] { runId, taskId, itemKey, prompt, raw, parsed, reference, outcome, score, latency, tokensIn, tokensOut, error, createdAt });
        await insert.PrepareAsync(cancellationToken);

        var written = 0;
        var watch = Stopwatch.StartNew();
        foreach (var r in rows)
        {
            runId.TypedValue = r.RunId;
            taskId.TypedValue = r.TaskId;
            itemKey.TypedValue = r.ItemKey;
            prompt.Value = (object?)r.Prompt ?? DBNull.Value;
            raw.Value = (object?)r.RawOutput ?? DBNull.Value;
            parsed.Value = (object?)r.Parsed ?? DBNull.Value;
            reference.Value = (object?)r.Reference ?? DBNull.Value;
            outcome.TypedValue = r.Outcome;
            score.TypedValue = r.Score;
            latency.TypedValue = r.LatencyMs;
            tokensIn.TypedValue = r.TokensIn;
            tokensOut.TypedValue = r.TokensOut;
            error.Value = (object?)r.Error ?? DBNull.Value;
            createdAt.TypedValue = r.CreatedAt;
            written += await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        return (written, watch.Elapsed);
    }

    /// <summary>
    /// <c>psql \copy</c> from a CSV file: psql reads the file and streams it over COPY FROM STDIN, one transaction. Only the
    /// psql process is timed (its start-up and connection included, a few milliseconds).
    /// </summary>
    public static async Task<(int Rows, TimeSpan Elapsed)> PsqlCopyAsync(string psql, int port, string database, string csvPath, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(psql)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port.ToString(), "-U", "evals", "-d", database,
                     "-c", $"\\copy results ({Workload.Columns}) FROM '{csvPath.Replace("'", "''")}' WITH (FORMAT csv)"])
            info.ArgumentList.Add(arg);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {psql}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var elapsed = watch.Elapsed;
        var output = (await stdout + await stderr).Trim();
        if (process.ExitCode != 0) throw new InvalidOperationException($"psql \\copy exited with {process.ExitCode}: {output}");
        // psql reports "COPY <n>" on success.
        var rows = output.StartsWith("COPY ", StringComparison.Ordinal) && int.TryParse(output.AsSpan(5), out var n) ? n : -1;
        return (rows, elapsed);
    }
}
