using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ModelConfiguration : IEntityTypeConfiguration<Model>
{
    public void Configure(EntityTypeBuilder<Model> b)
    {
        b.ToTable("models", t => t.HasCheckConstraint("ck_models_name_not_blank", "btrim(name) <> ''"));
        b.Property(m => m.Id).HasDefaultValueSql("gen_random_uuid()");
        b.HasIndex(m => m.Name).IsUnique();
        b.HasIndex(m => new { m.Family, m.CreatedAt });
        b.HasIndex(m => new { m.Family, m.AcceptedAt });
        b.Property(m => m.CreatedAt).HasDefaultValueSql("now()");
    }
}
