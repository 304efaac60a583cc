using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class TaskVersionConfiguration : IEntityTypeConfiguration<TaskVersion>
{
    public void Configure(EntityTypeBuilder<TaskVersion> b)
    {
        b.ToTable("tasks");
        b.HasIndex(t => new { t.Name, t.Version }).IsUnique();
        b.Property(t => t.Manifest).HasColumnType("jsonb");
        b.Property(t => t.CreatedAt).HasDefaultValueSql("now()");
    }
}

public sealed class ItemConfiguration : IEntityTypeConfiguration<Item>
{
    public void Configure(EntityTypeBuilder<Item> b)
    {
        b.ToTable("items");
        b.HasIndex(i => new { i.TaskId, i.Split, i.Key }).IsUnique();
        b.HasIndex(i => new { i.TaskId, i.Split, i.Ordinal });
        b.Property(i => i.Payload).HasColumnType("jsonb");
        b.HasOne<TaskVersion>().WithMany().HasForeignKey(i => i.TaskId).OnDelete(DeleteBehavior.Cascade);
    }
}
