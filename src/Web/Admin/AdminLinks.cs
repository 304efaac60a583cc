namespace Evals.Web.Admin;

/// <summary>The admin pages, listed on /admin. Each admin page adds its own line here.</summary>
public static class AdminLinks
{
    public sealed record Link(string Href, string Title);

    public static IReadOnlyList<Link> All { get; } =
    [
        new("admin/models", "模型 · Register models"),
        new("admin/runs/new", "开始评测 · Start a run"),
    ];
}
