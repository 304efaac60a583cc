using Evals.Storage;
using Evals.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Evals.Runner.Runs;

/// <summary>What registering a model version asks for (<c>evals models add</c>, the admin models page).</summary>
public sealed record ModelRegistrationRequest(string Name, string Spec, string? Family, string? Checkpoint);

/// <summary>
/// Registers a model version: the name must be non-empty without ':', the spec must parse and its options check
/// (<see cref="ModelResolver.Parse"/>), the name must be new. Every problem is a <see cref="BadInputException"/> naming
/// the field, and nothing is written. The CLI and the admin page both call this.
/// </summary>
public sealed class ModelRegistration(IDbContextFactory<EvalsDbContext> dbFactory, ModelResolver resolver, TimeProvider time)
{
    public async Task<Model> RegisterAsync(ModelRegistrationRequest request, CancellationToken cancellationToken = default)
    {
        var name = CheckName(request.Name);
        if (string.IsNullOrWhiteSpace(request.Spec)) throw new BadInputException("--spec must not be empty");
        var parsed = resolver.Parse(request.Spec.Trim());
        var now = time.GetUtcNow();
        var model = new Model
        {
            Id = Guid.CreateVersion7(now),
            Name = name,
            Kind = parsed.Scheme,
            Spec = parsed.Text,
            Family = Blank(request.Family),
            Checkpoint = Blank(request.Checkpoint),
            CreatedAt = now,
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Models.Add(model);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw new BadInputException($"--name '{name}': a model with that name is already registered");
        }
        return model;
    }

    /// <summary>The trimmed name, or a <see cref="BadInputException"/> when it is empty or holds a ':' (which marks a spec).</summary>
    public static string CheckName(string name)
    {
        name = name.Trim();
        if (name.Length == 0 || name.Contains(':'))
            throw new BadInputException($"--name '{name}' must be non-empty and contain no ':' (a ':' marks a spec)");
        return name;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
