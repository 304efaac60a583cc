namespace Evals.Benchmarks.Models;

/// <summary>
/// A backend that gains from many requests at once: an in-process engine that batches across items (one forward pass
/// for many sequences). The run pipeline keeps <see cref="ModelCapabilities.MaxConcurrency"/> items in flight, and such a
/// backend joins the calls that arrive together into batches; these methods hand it a whole list directly. Results are
/// those of the one-request methods, in the order given (to float rounding: a batch pads and reorders its rows).
/// </summary>
public interface IBatchModelBackend : IModelBackend
{
    Task<IReadOnlyList<ChoiceScores>> ScoreChoicesBatchAsync(IReadOnlyList<ChoiceRequest> requests, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Generation>> GenerateBatchAsync(IReadOnlyList<GenerateRequest> requests, CancellationToken cancellationToken = default);
}
