namespace Evals.Web.Admin;

/// <summary>The admin pages, listed on /admin. Each admin page adds its own line here.</summary>
public static class AdminLinks
{
    public sealed record Link(string Href, string Title);

    public static IReadOnlyList<Link> All { get; } =
    [
        new("/feedback/traces", "差评对话与回归套件 · Low-rated traces, promote to a regression suite"),
        new("/admin/keys", "API 密钥 · API keys"),
        new("admin/models", "模型 · Register models"),
        new("admin/runs/new", "开始评测 · Start a run"),
        new("admin/arena", "竞技场管理 Arena moderation: battles, votes, exclusions, name list, recompute"),
    ];
}
