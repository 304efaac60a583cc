using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class RunConfiguration : IEntityTypeConfiguration<Run>
{
    public void Configure(EntityTypeBuilder<Run> b)
    {
        b.ToTable("runs", t =>
        {
            t.HasCheckConstraint("ck_runs_status", "status in ('queued','running','succeeded','failed','cancelled')");
            t.HasCheckConstraint("ck_runs_progress", "completed_items >= 0 and failed_items >= 0 and completed_items <= total_items");
        });
        b.Property(r => r.Status).HasConversion(s => s.ToString().ToLowerInvariant(), s => Enum.Parse<RunStatus>(s, true)).HasMaxLength(16);
        b.Property(r => r.Config).HasColumnType("jsonb");
        b.Property(r => r.CreatedAt).HasDefaultValueSql("now()");
        b.HasIndex(r => r.CreatedAt);
        b.HasIndex(r => new { r.Status, r.CreatedAt });
        b.HasOne(r => r.Suite).WithMany().HasForeignKey(r => r.SuiteId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Model>().WithMany().HasForeignKey(r => r.ModelId).OnDelete(DeleteBehavior.SetNull);
        // A re-scoring keeps its own copy of the outputs, so deleting its source leaves it standing, unlinked.
        b.HasOne<Run>().WithMany().HasForeignKey(r => r.RescoredFrom).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(r => r.RescoredFrom);
    }
}
