using System.Globalization;

namespace Evals.Perf;

/// <summary>
/// CPU time (user + system) that Linux has charged to processes, read from <c>/proc/PID/stat</c>, so a benchmark can say
/// where a load's CPU went: the load generator, each web node, and PostgreSQL (the postmaster, its live children, and
/// the children it has reaped, so a backend that exits mid-load is still counted).
/// </summary>
public static class ProcessCpu
{
    // USER_HZ: the unit of /proc's times, 100 on every Linux x86-64 and arm64 kernel.
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds of one process (its own threads), or of the process and its reaped children.</summary>
    public static double Seconds(int pid, bool withReapedChildren = false)
    {
        var fields = Read(pid);
        if (fields is null) return 0;
        return (OwnTicks(fields) + (withReapedChildren ? Tick(fields, 13) + Tick(fields, 14) : 0)) / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds of a PostgreSQL cluster: the postmaster with the children it has reaped, and every live child. A
    /// session that ends during a load (the client's pool replaced the connection) is counted too, through the reaped
    /// children's times, which is why this is one figure: the sessions' own share cannot be told apart afterwards.
    /// </summary>
    public static double PostgresSeconds(string dataDirectory)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var total = Seconds(postmaster, withReapedChildren: true);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            var fields = Read(pid);
            if (fields is not null && Tick(fields, 1) == postmaster) total += OwnTicks(fields) / TicksPerSecond;
        }
        return total;
    }

    // The fields after the command name (which may hold spaces and parentheses): [0] is the state, [1] the parent pid,
    // [11] utime, [12] stime, [13] cutime, [14] cstime (proc(5)).
    private static string[]? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null; // exited between the listing and the read
        }
    }

    private static long OwnTicks(string[] fields) => Tick(fields, 11) + Tick(fields, 12);

    private static long Tick(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
}

