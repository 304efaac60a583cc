namespace Evals.Storage.Schema;

/// <summary>
/// Quartz's own PostgreSQL schema script, read from the Quartz assembly so that it always matches the Quartz version we
/// run. Every statement in it is CREATE ... IF NOT EXISTS, so the migration that runs it is safe to repeat.
/// </summary>
public static class QuartzSchema
{
    public const string TablePrefix = "qrtz_";
    private const string Resource = "Quartz.Impl.AdoJobStore.Schema.create_postgres.sql";

    public static IEnumerable<string> Statements()
    {
        using var stream = typeof(Quartz.IJob).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"the Quartz assembly has no resource {Resource}");
        var script = new StreamReader(stream).ReadToEnd().Replace("{0}", TablePrefix).Replace("{1}", TablePrefix);
        return script.Split("\n--;;", StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Trim())
            .Where(s => s.Split('\n').Any(line => line.Trim().Length > 0 && !line.TrimStart().StartsWith("--", StringComparison.Ordinal)));
    }
}
