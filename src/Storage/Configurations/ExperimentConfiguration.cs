using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ExperimentConfiguration : IEntityTypeConfiguration<Experiment>
{
    public void Configure(EntityTypeBuilder<Experiment> b)
    {
        b.ToTable("experiments", t =>
        {
            t.HasCheckConstraint("ck_experiments_name_not_blank", "btrim(name) <> ''");
            t.HasCheckConstraint("ck_experiments_stopping_rule", "stopping_rule in ('fixed_horizon','confidence_sequence')");
            // A fixed horizon is declared up front or the rule is not a fixed horizon.
            t.HasCheckConstraint("ck_experiments_horizon", "(stopping_rule = 'fixed_horizon') = (horizon is not null) and (horizon is null or horizon > 0)");
            t.HasCheckConstraint("ck_experiments_alpha", "alpha > 0 and alpha < 1");
        });
        b.Property(e => e.Id).HasDefaultValueSql("gen_random_uuid()");
        b.HasIndex(e => e.Name).IsUnique();
        b.Property(e => e.Variants).HasColumnType("jsonb");
        b.Property(e => e.StoppingRule).HasMaxLength(32);
        b.Property(e => e.CreatedAt).HasDefaultValueSql("now()");
    }
}
