namespace Evals.TestKit;

/// <summary>Temporary datasets folders for tests that import: imports then never touch the checkout.</summary>
public static class DatasetsCopy
{
    /// <summary>The shipped manifests (every file but the imported <c>data/</c> folders) in a new temporary datasets folder.</summary>
    public static string Manifests(string prefix = "evals-import-")
    {
        var root = Directory.CreateTempSubdirectory(prefix).FullName;
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Datasets, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepoPaths.Datasets, file);
            if (relative.Split(Path.DirectorySeparatorChar).Contains("data")) continue;
            var target = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return root;
    }
}
