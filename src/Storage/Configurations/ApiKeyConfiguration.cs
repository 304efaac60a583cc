using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys", t =>
        {
            t.HasCheckConstraint("ck_api_keys_scope", "scope in ('v1','feedback','admin')");
            t.HasCheckConstraint("ck_api_keys_name_not_blank", "btrim(name) <> ''");
            t.HasCheckConstraint("ck_api_keys_hash", "hash ~ '^[0-9a-f]{64}$'");
            t.HasCheckConstraint("ck_api_keys_rpm", "requests_per_minute is null or requests_per_minute > 0");
        });
        b.Property(k => k.Id).HasDefaultValueSql("gen_random_uuid()");
        b.Property(k => k.Scope).HasMaxLength(16);
        b.Property(k => k.Hash).HasMaxLength(64);
        b.Property(k => k.Prefix).HasMaxLength(16);
        b.HasIndex(k => k.Hash).IsUnique();
        b.HasIndex(k => k.Name).IsUnique();
        b.Property(k => k.CreatedAt).HasDefaultValueSql("now()");
    }
}
