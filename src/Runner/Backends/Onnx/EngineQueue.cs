namespace Evals.Runner.Backends.Onnx;

/// <summary>
/// Joins requests that arrive together into batches for the engine. One worker at a time drains the queue: it waits a
/// moment for the calls started together to arrive (<c>batch_window_ms</c>), then takes every pending scoring request (or,
/// when there are none, every pending generation) and runs them as one batched call under the engine's gate. Scoring and
/// generation alternate so that neither starves.
/// </summary>
internal sealed class EngineQueue(CausalLM model, SemaphoreSlim gate, BatchBudget budget, TimeSpan window)
{
    private sealed record PendingScore(ScoreRequest Request, TaskCompletionSource<ContinuationScore[]> Done, CancellationToken CancellationToken);

    private sealed record PendingGeneration(GenerationJob Job, TaskCompletionSource<GeneratedText> Done);

    private readonly Lock _lock = new();
    private readonly List<PendingScore> _scores = [];
    private readonly List<PendingGeneration> _generations = [];
    private bool _running;

    public BatchStats Scoring { get; } = new();

    public BatchStats Generation { get; } = new();

    public Task<ContinuationScore[]> ScoreAsync(ScoreRequest request, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<ContinuationScore[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock) _scores.Add(new PendingScore(request, done, cancellationToken));
        Start();
        return done.Task.WaitAsync(cancellationToken);
    }

    public Task<GeneratedText> GenerateAsync(GenerationJob job)
    {
        var done = new TaskCompletionSource<GeneratedText>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock) _generations.Add(new PendingGeneration(job, done));
        Start();
        return done.Task.WaitAsync(job.CancellationToken);
    }

    private void Start()
    {
        lock (_lock)
        {
            if (_running) return;
            _running = true;
        }
        _ = Task.Run(DrainAsync);
    }

    private async Task DrainAsync()
    {
        var preferScores = true;
        while (true)
        {
            if (window > TimeSpan.Zero) await Task.Delay(window);
            List<PendingScore> scores = [];
            List<PendingGeneration> generations = [];
            lock (_lock)
            {
                if (_scores.Count == 0 && _generations.Count == 0)
                {
                    _running = false;
                    return;
                }
                if (_scores.Count > 0 && (preferScores || _generations.Count == 0))
                {
                    scores = [.. _scores];
                    _scores.Clear();
                }
                else
                {
                    generations = [.. _generations];
                    _generations.Clear();
                }
            }
            preferScores = !preferScores;
            await gate.WaitAsync();
            try
            {
                if (scores.Count > 0) RunScores(scores);
                else RunGenerations(generations);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private void RunScores(List<PendingScore> pending)
    {
        pending.RemoveAll(p => p.CancellationToken.IsCancellationRequested && p.Done.TrySetCanceled(p.CancellationToken));
        if (pending.Count == 0) return;
        try
        {
            var results = BatchedScoring.Score(model, pending.Select(p => p.Request).ToList(), budget, Scoring);
            for (var i = 0; i < pending.Count; i++) pending[i].Done.TrySetResult(results[i]);
        }
        catch (Exception) when (pending.Count > 1)
        {
            // One bad request (e.g. a context past the model's positions) must not fail the items batched with it.
            foreach (var p in pending)
            {
                try
                {
                    p.Done.TrySetResult(BatchedScoring.Score(model, [p.Request], budget, Scoring)[0]);
                }
                catch (Exception e)
                {
                    p.Done.TrySetException(e);
                }
            }
        }
        catch (Exception e)
        {
            pending[0].Done.TrySetException(e);
        }
    }

    /// <summary>Generations that arrive while these decode join them at a step boundary; each is answered as it finishes.</summary>
    private void RunGenerations(List<PendingGeneration> pending)
    {
        IReadOnlyList<GenerationJob> Arrivals()
        {
            lock (_lock)
            {
                if (_generations.Count == 0) return [];
                var arrived = _generations.ToList();
                _generations.Clear();
                pending.AddRange(arrived);
                return arrived.Select(p => p.Job).ToList();
            }
        }
        void Finished(int index, GeneratedText? result)
        {
            if (result is not null) pending[index].Done.TrySetResult(result);
            else pending[index].Done.TrySetCanceled(pending[index].Job.CancellationToken);
        }
        var streamed = new HashSet<GenerationJob>(ReferenceEqualityComparer.Instance);
        GenerationJob Tracked(GenerationJob job) => job.OnText is null ? job : job with
        {
            OnText = text =>
            {
                streamed.Add(job);
                job.OnText(text);
            },
        };
        try
        {
            BatchedGeneration.Generate(model, pending.Select(p => Tracked(p.Job)).ToList(), budget, Generation,
                () => Arrivals().Select(Tracked).ToList(), Finished);
        }
        catch (Exception e)
        {
            // One bad prompt (e.g. past the model's positions) must not fail the others: each unfinished one runs alone,
            // unless it already streamed text, which a rerun would stream twice.
            foreach (var p in pending.Where(p => !p.Done.Task.IsCompleted))
            {
                if (pending.Count == 1 || streamed.Contains(p.Job))
                {
                    p.Done.TrySetException(e);
                    continue;
                }
                try
                {
                    var result = BatchedGeneration.Generate(model, [p.Job], budget, Generation)[0];
                    if (result is not null) p.Done.TrySetResult(result);
                    else p.Done.TrySetCanceled(p.Job.CancellationToken);
                }
                catch (Exception alone)
                {
                    p.Done.TrySetException(alone);
                }
            }
        }
    }
}
