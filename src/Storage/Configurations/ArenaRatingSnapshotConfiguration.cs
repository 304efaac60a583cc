using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ArenaRatingSnapshotConfiguration : IEntityTypeConfiguration<ArenaRatingSnapshot>
{
    public void Configure(EntityTypeBuilder<ArenaRatingSnapshot> b)
    {
        b.ToTable("arena_rating_snapshots");
        b.Property(x => x.Id).UseIdentityAlwaysColumn();
        b.Property(x => x.Payload).HasColumnType("jsonb");
        b.HasIndex(x => x.ComputedAt);
    }
}
