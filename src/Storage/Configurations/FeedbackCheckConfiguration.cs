using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class FeedbackCheckConfiguration : IEntityTypeConfiguration<FeedbackCheck>
{
    public void Configure(EntityTypeBuilder<FeedbackCheck> b)
    {
        b.ToTable("feedback_checks", t =>
        {
            t.HasCheckConstraint("ck_feedback_checks_kind", "kind in ('hallucination','refusal','language','length')");
            t.HasCheckConstraint("ck_feedback_checks_outcome", "outcome in ('pass','flagged','error')");
        });
        // One result per event and check: the job inserts with ON CONFLICT DO NOTHING, so a rerun adds nothing.
        b.HasKey(c => new { c.FeedbackId, c.Kind });
        b.Property(c => c.Kind).HasMaxLength(32);
        b.Property(c => c.Outcome).HasMaxLength(16);
        b.Property(c => c.Details).HasColumnType("jsonb");
        b.Property(c => c.CheckedAt).HasDefaultValueSql("now()");
        b.HasOne<FeedbackEvent>().WithMany().HasForeignKey(c => c.FeedbackId).OnDelete(DeleteBehavior.Cascade);
    }
}
