using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ArenaLimitCounterConfiguration : IEntityTypeConfiguration<ArenaLimitCounter>
{
    public void Configure(EntityTypeBuilder<ArenaLimitCounter> b)
    {
        b.ToTable("arena_limit_counters", t => t.HasCheckConstraint("ck_arena_limit_counters_window", "count >= 0 and expires_at > window_start"));
        // The key the web nodes' INSERT … ON CONFLICT counts on.
        b.HasKey(x => new { x.Key, x.WindowStart });
        b.Property(x => x.Key).HasMaxLength(200);
        b.HasIndex(x => x.ExpiresAt);
    }
}
