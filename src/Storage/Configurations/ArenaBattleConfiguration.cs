using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ArenaBattleConfiguration : IEntityTypeConfiguration<ArenaBattle>
{
    public void Configure(EntityTypeBuilder<ArenaBattle> b)
    {
        b.ToTable("arena_battles", t =>
        {
            t.HasCheckConstraint("ck_arena_battles_visitor_hash", "visitor_hash ~ '^[0-9a-f]{64}$'");
            t.HasCheckConstraint("ck_arena_battles_two_models", "model_a <> model_b");
            t.HasCheckConstraint("ck_arena_battles_prompt_not_blank", "btrim(prompt) <> ''");
        });
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(x => x.VisitorHash).HasMaxLength(64);
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.HasIndex(x => x.CreatedAt);
        b.HasOne(x => x.Vote).WithOne(v => v.Battle).HasForeignKey<ArenaVote>(v => v.BattleId).OnDelete(DeleteBehavior.Restrict);
    }
}
