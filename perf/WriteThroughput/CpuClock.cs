namespace Evals.WriteThroughput;

/// <summary>
/// CPU seconds spent by this process (with the children it has reaped, so psql counts as client) and by the PostgreSQL
/// server (the postmaster, the children it has reaped — psql's backend — and its live children: backends, WAL writer,
/// checkpointer). On a shared 2-core machine CPU per row says more than wall time, which other tenants inflate.
/// Reads /proc; USER_HZ is 100 on Linux.
/// </summary>
public sealed class CpuClock(int postmasterPid)
{
    private const double TicksPerSecond = 100;

    public static CpuClock ForCluster(string dataDirectory) =>
        new(int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First().Trim()));

    public (double Client, double Server) Read() => (Ticks(Environment.ProcessId, withReaped: true) / TicksPerSecond, ServerTicks() / TicksPerSecond);

    private long ServerTicks()
    {
        var total = Ticks(postmasterPid, withReaped: true);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == postmasterPid) continue;
            var stat = Stat(pid);
            if (stat is not null && long.Parse(stat[1]) == postmasterPid) total += long.Parse(stat[11]) + long.Parse(stat[12]);
        }
        return total;
    }

    private static long Ticks(int pid, bool withReaped)
    {
        var stat = Stat(pid) ?? throw new InvalidOperationException($"/proc/{pid}/stat is gone");
        var ticks = long.Parse(stat[11]) + long.Parse(stat[12]);
        return withReaped ? ticks + long.Parse(stat[13]) + long.Parse(stat[14]) : ticks;
    }

    /// <summary>The fields of /proc/PID/stat after the command name: [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null; // the process ended while we looked
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
