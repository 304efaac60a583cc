namespace Evals.Runner.Datasets;

/// <summary>Where pulled files live: outside the repository, under the user's cache folder unless <c>--cache</c> says otherwise.</summary>
public static class DatasetCacheFolder
{
    public static string Resolve(string? option, string? configured)
    {
        if (!string.IsNullOrWhiteSpace(option)) return Path.GetFullPath(option);
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var cache = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "evals", "datasets");
    }
}
