using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ItemResultConfiguration : IEntityTypeConfiguration<ItemResult>
{
    public void Configure(EntityTypeBuilder<ItemResult> b)
    {
        b.ToTable("results", t => t.HasCheckConstraint("ck_results_outcome", "outcome in ('correct','wrong','unparseable','refused','error','unjudged')"));
        // Exactly one result per item per run, whatever the workers do: recovery relies on this key.
        b.HasIndex(r => new { r.RunId, r.TaskId, r.ItemKey }).IsUnique();
        b.Property(r => r.CreatedAt).HasDefaultValueSql("now()");
        b.HasOne<Run>().WithMany().HasForeignKey(r => r.RunId).OnDelete(DeleteBehavior.Cascade);
        b.Property(r => r.Details).HasColumnType("jsonb");
        // No foreign key to tasks: task versions are immutable and checked once when the run is submitted, and the
        // per-row check halved COPY throughput (perf/README.md). The index serves lookups by task.
        b.HasIndex(r => r.TaskId);
    }
}
