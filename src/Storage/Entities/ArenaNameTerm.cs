namespace Evals.Storage.Entities;

/// <summary>
/// A name that identifies a model or its maker when it appears in an answer (table <c>arena_name_terms</c>), e.g.
/// 通义千问, Qwen, 文心一言; the term is the key. Matching ignores case and full-width forms. Seeded with a default list by the migration and edited on the admin arena page.
/// </summary>
public class ArenaNameTerm
{
    public required string Term { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
