using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class RegressionItemConfiguration : IEntityTypeConfiguration<RegressionItem>
{
    public void Configure(EntityTypeBuilder<RegressionItem> b)
    {
        b.ToTable("regression_items", t =>
        {
            // Suite names become task names (<suite>/answers): the same characters as a datasets folder.
            t.HasCheckConstraint("ck_regression_items_suite", "suite ~ '^[a-z0-9][a-z0-9_-]*$'");
            t.HasCheckConstraint("ck_regression_items_input", "btrim(input) <> ''");
            t.HasCheckConstraint("ck_regression_items_reference", "btrim(reference) <> ''");
        });
        b.Property(i => i.Id).UseIdentityAlwaysColumn();
        b.HasIndex(i => new { i.Suite, i.Key }).IsUnique();
        b.Property(i => i.Suite).HasMaxLength(64);
        b.Property(i => i.Key).HasMaxLength(128);
        b.Property(i => i.AddedAt).HasDefaultValueSql("now()");
        b.HasOne<FeedbackEvent>().WithMany().HasForeignKey(i => i.FeedbackId).OnDelete(DeleteBehavior.SetNull);
    }
}
