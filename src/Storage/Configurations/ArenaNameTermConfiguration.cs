using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ArenaNameTermConfiguration : IEntityTypeConfiguration<ArenaNameTerm>
{
    /// <summary>The seeded list: Chinese and Latin names of models and their makers that an answer may reveal itself by.</summary>
    public static readonly string[] Defaults =
    [
        "通义千问", "通义", "千问", "Qwen", "阿里云", "阿里巴巴",
        "文心一言", "文心", "ERNIE", "百度",
        "豆包", "Doubao", "字节跳动", "云雀",
        "Kimi", "月之暗面", "Moonshot",
        "智谱", "ChatGLM", "GLM", "智谱清言",
        "讯飞星火", "星火大模型", "科大讯飞", "SparkDesk",
        "DeepSeek", "深度求索",
        "混元", "Hunyuan", "腾讯",
        "百川", "Baichuan",
        "零一万物", "MiniMax", "海螺AI", "阶跃星辰", "商汤", "日日新", "SenseChat", "盘古大模型",
        "InternLM", "书生·浦语", "天工", "Skywork", "360智脑",
        "ChatGPT", "GPT-4", "GPT-3.5", "OpenAI", "Claude", "Anthropic", "Gemini", "Llama", "Mistral",
    ];

    public void Configure(EntityTypeBuilder<ArenaNameTerm> b)
    {
        b.ToTable("arena_name_terms", t => t.HasCheckConstraint("ck_arena_name_terms_not_blank", "btrim(term) <> ''"));
        b.HasKey(x => x.Term);
        b.Property(x => x.Term).HasMaxLength(64);
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.HasData(Defaults.Select(term => new ArenaNameTerm { Term = term, CreatedAt = DateTimeOffset.UnixEpoch }));
    }
}
