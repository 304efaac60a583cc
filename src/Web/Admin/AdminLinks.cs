namespace Evals.Web.Admin;

/// <summary>The admin pages, listed on /admin. Each admin page adds its own line here.</summary>
public static class AdminLinks
{
    public sealed record Link(string Href, string Title);

    public static IReadOnlyList<Link> All { get; } =
    [
        new("admin/arena", "竞技场管理 Arena moderation: battles, votes, exclusions, name list, recompute"),
    ];
}
