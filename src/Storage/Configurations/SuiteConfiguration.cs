using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Evals.Storage.Configurations;

public sealed class SuiteConfiguration : IEntityTypeConfiguration<Suite>
{
    public void Configure(EntityTypeBuilder<Suite> b)
    {
        b.ToTable("suites");
        b.HasIndex(s => new { s.Name, s.Version }).IsUnique();
        b.Property(s => s.CreatedAt).HasDefaultValueSql("now()");
        b.HasMany(s => s.Tasks).WithOne().HasForeignKey(t => t.SuiteId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class SuiteTaskConfiguration : IEntityTypeConfiguration<SuiteTask>
{
    public void Configure(EntityTypeBuilder<SuiteTask> b)
    {
        b.ToTable("suite_tasks");
        b.HasKey(t => new { t.SuiteId, t.TaskId });
        b.HasOne(t => t.Task).WithMany().HasForeignKey(t => t.TaskId).OnDelete(DeleteBehavior.Restrict);
    }
}
