using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class CachedResponseConfiguration : IEntityTypeConfiguration<CachedResponse>
{
    public void Configure(EntityTypeBuilder<CachedResponse> b)
    {
        b.ToTable("response_cache", t =>
        {
            t.HasCheckConstraint("ck_response_cache_kind", "kind in ('generate','score')");
            t.HasCheckConstraint("ck_response_cache_key", "key ~ '^[0-9a-f]{64}$'");
        });
        b.HasKey(c => c.Key);
        b.Property(c => c.Key).HasMaxLength(64);
        b.Property(c => c.Kind).HasMaxLength(16);
        b.Property(c => c.Response).HasColumnType("jsonb");
        b.Property(c => c.CreatedAt).HasDefaultValueSql("now()");
        b.HasIndex(c => c.Model);
    }
}
