using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ArenaFollowUpConfiguration : IEntityTypeConfiguration<ArenaFollowUp>
{
    public void Configure(EntityTypeBuilder<ArenaFollowUp> b)
    {
        b.ToTable("arena_follow_ups", t =>
        {
            t.HasCheckConstraint("ck_arena_follow_ups_turn", "turn >= 2");
            t.HasCheckConstraint("ck_arena_follow_ups_prompt_not_blank", "btrim(prompt) <> ''");
        });
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        // One row per turn, whatever races two pages or the API run.
        b.HasIndex(x => new { x.BattleId, x.Turn }).IsUnique();
        b.HasOne(x => x.Battle).WithMany(x => x.FollowUps).HasForeignKey(x => x.BattleId).OnDelete(DeleteBehavior.Cascade);
    }
}
