using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Evals.Storage;

/// <summary>Lets <c>dotnet ef</c> build the model without a running database or host.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<EvalsDbContext>
{
    public EvalsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<EvalsDbContext>().UseNpgsql("Host=localhost;Database=evals_design").Options);
}
