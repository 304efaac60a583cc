using System.Text;
using Evals.Storage.Entities;
using Evals.Storage.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Evals.Storage;

/// <summary>
/// The one database context. Add a migration with:
/// <c>dotnet ef migrations add NAME --project src/Storage --startup-project src/Storage</c>
/// (a design-time factory supplies the provider; no database is needed).
/// </summary>
public sealed class EvalsDbContext(DbContextOptions<EvalsDbContext> options) : DbContext(options)
{
    public DbSet<Model> Models => Set<Model>();
    public DbSet<Suite> Suites => Set<Suite>();
    public DbSet<SuiteTask> SuiteTasks => Set<SuiteTask>();
    public DbSet<TaskVersion> Tasks => Set<TaskVersion>();
    public DbSet<Item> Items => Set<Item>();
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<ItemResult> Results => Set<ItemResult>();
    public DbSet<CachedResponse> ResponseCache => Set<CachedResponse>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Experiment> Experiments => Set<Experiment>();
    public DbSet<FeedbackEvent> Feedback => Set<FeedbackEvent>();
    public DbSet<FeedbackCheck> FeedbackChecks => Set<FeedbackCheck>();
    public DbSet<RegressionItem> RegressionItems => Set<RegressionItem>();
    public DbSet<JudgeCheck> JudgeChecks => Set<JudgeCheck>();
    public DbSet<ArenaBattle> ArenaBattles => Set<ArenaBattle>();
    public DbSet<ArenaVote> ArenaVotes => Set<ArenaVote>();
    public DbSet<ArenaFollowUp> ArenaFollowUps => Set<ArenaFollowUp>();
    public DbSet<ArenaNameTerm> ArenaNameTerms => Set<ArenaNameTerm>();
    public DbSet<ArenaRatingSnapshot> ArenaRatingSnapshots => Set<ArenaRatingSnapshot>();
    public DbSet<ArenaLimitCounter> ArenaLimitCounters => Set<ArenaLimitCounter>();
    public DbSet<DataProtectionKeyRow> DataProtectionKeys => Set<DataProtectionKeyRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(EvalsDbContext).Assembly);
        // Columns, keys and indexes in snake_case, so hand-written SQL (COPY, reports) reads naturally.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
                // StoredText's backstop: whatever text escaped a check is stored with NUL as ␀, never a failed save.
                if (property.ClrType == typeof(string) && property.GetValueConverter() is null)
                    property.SetValueConverter(property.GetColumnType() == "jsonb" ? EscapedJson : EscapedText);
            }
            foreach (var key in entity.GetKeys())
                key.SetName($"pk_{entity.GetTableName()}" + (key.IsPrimaryKey() ? "" : "_" + string.Join('_', key.Properties.Select(p => SnakeCase(p.Name)))));
            foreach (var fk in entity.GetForeignKeys())
                fk.SetConstraintName($"fk_{entity.GetTableName()}_{fk.PrincipalEntityType.GetTableName()}_{string.Join('_', fk.Properties.Select(p => SnakeCase(p.Name)))}");
            foreach (var index in entity.GetIndexes())
                index.SetDatabaseName($"ix_{entity.GetTableName()}_{string.Join('_', index.Properties.Select(p => SnakeCase(p.Name)))}");
        }
    }

    private static readonly ValueConverter<string, string> EscapedText = new(v => StoredText.Escape(v), v => v);
    private static readonly ValueConverter<string, string> EscapedJson = new(v => StoredText.EscapeJson(v), v => v);

    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && (!char.IsUpper(name[i - 1]) || i + 1 < name.Length && char.IsLower(name[i + 1])))
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
