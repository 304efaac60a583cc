using Evals.Benchmarks.Models;
using Evals.Runner.Backends;
using Evals.Storage;
using Microsoft.EntityFrameworkCore;

namespace Evals.Runner.Runs;

/// <summary>A model named on the command line or in the API: a spec, or the name of a registered model.</summary>
public sealed record ResolvedModel(Guid? ModelId, string Name, ModelSpec Spec);

public sealed class ModelResolver(IDbContextFactory<EvalsDbContext> dbFactory, BackendFactory backends)
{
    public async Task<ResolvedModel> ResolveAsync(string text, CancellationToken cancellationToken = default)
    {
        text = text.Trim();
        if (text.Contains(':'))
        {
            var spec = Parse(text);
            return new ResolvedModel(null, spec.Text, spec);
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var model = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Name == text, cancellationToken)
            ?? throw new BadInputException($"unknown model '{text}': not a spec (baseline:…, onnx:…, openai:…) and no registered model has that name (see `evals models list`)");
        return new ResolvedModel(model.Id, model.Name, Parse(model.Spec));
    }

    public ModelSpec Parse(string text)
    {
        if (!ModelSpec.TryParse(text, out var spec, out var error)) throw new BadInputException(error);
        try
        {
            backends.Describe(spec);
        }
        catch (ModelSpecException e)
        {
            throw new BadInputException(e.Message);
        }
        return spec;
    }
}
