using System.Diagnostics;

namespace Evals.Runner.Backends.Onnx;

/// <param name="OnText">Text that is safe to stream, as <see cref="CausalLM.Generate"/> reports it at batch 1.</param>
/// <param name="CancellationToken">This prompt's own cancellation: it leaves the batch at the next step, the others go on.</param>
internal sealed record GenerationJob(int[] Prompt, GenerationSettings Settings, Action<string>? OnText = null, CancellationToken CancellationToken = default);

/// <summary>
/// Continuous batching on the host: up to <c>slots</c> sequences decode together, one forward pass a step. A sequence that
/// finishes (EOS, a stop string, its token limit) frees its slot at once: the cache is rebuilt without its row and without
/// leading columns that no remaining row uses. Waiting prompts join at a step boundary: they are prefilled together
/// (left-padded) and their cache rows are joined to the running ones, right-aligned, the gap masked out. Each sequence
/// keeps its own sampler (seeded per sequence), stop strings, limit and stream, so its output does not depend on its
/// neighbours. Rebuilds are counted and timed in <see cref="BatchStats"/>.
/// </summary>
internal static class BatchedGeneration
{
    private sealed class Slot(int job, CausalLM.GenerationRow row, List<long> mask, long nextPosition)
    {
        public int Job { get; } = job;
        public CausalLM.GenerationRow Row { get; } = row;
        /// <summary>One entry per cache column: whether this row's token is there.</summary>
        public List<long> Mask { get; } = mask;
        public long NextPosition { get; set; } = nextPosition;
    }

    /// <param name="arrivals">Polled at each step boundary for prompts that arrived since (they join when a slot is free).</param>
    /// <param name="finished">Told of each job as soon as it finishes (null result: cancelled), by its index in arrival order.</param>
    /// <returns>One result per job, given and arrived, in that order; null for a job that was cancelled.</returns>
    public static IReadOnlyList<GeneratedText?> Generate(CausalLM model, IReadOnlyList<GenerationJob> given, BatchBudget budget, BatchStats stats,
        Func<IReadOnlyList<GenerationJob>>? arrivals = null, Action<int, GeneratedText?>? finished = null, CancellationToken cancellationToken = default)
    {
        if (!model.KvOnHost) throw new InvalidOperationException("batched generation rebuilds the cache on the host; on a device each prompt runs alone");
        var jobs = new List<GenerationJob>();
        var results = new Results(finished);
        var waiting = new List<int>();
        void Arrive(IReadOnlyList<GenerationJob> arrived)
        {
            foreach (var job in arrived)
            {
                var i = jobs.Count;
                jobs.Add(job);
                results.Add();
                if (job.Prompt.Length == 0) throw new ArgumentException($"prompt {i}: every prompt needs at least one token");
                if (job.Settings.MaxNewTokens <= 0) results[i] = new GeneratedText([], "", "length", job.Prompt.Length);
                else waiting.Add(i);
            }
            // Shortest first: prompts that join together pad less.
            waiting.Sort((a, b) => jobs[a].Prompt.Length != jobs[b].Prompt.Length ? jobs[a].Prompt.Length.CompareTo(jobs[b].Prompt.Length) : a.CompareTo(b));
        }
        Arrive(given);
        var watch = Stopwatch.StartNew();
        var active = new List<Slot>();
        KvCache? cache = null;
        var slots = budget.MaxRows;
        try
        {
            while (waiting.Count > 0 || active.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (arrivals?.Invoke() is { Count: > 0 } arrived) Arrive(arrived);
                DropCancelled(model, jobs, active, ref cache, stats, results);
                waiting.RemoveAll(j =>
                {
                    if (!jobs[j].CancellationToken.IsCancellationRequested) return false;
                    results.Cancel(j);
                    return true;
                });
                var length = cache?.Length ?? 0;
                var joiners = new List<int>();
                foreach (var j in waiting)
                {
                    var rows = active.Count + joiners.Count + 1;
                    var longest = joiners.Append(j).Max(x => jobs[x].Prompt.Length);
                    var room = Math.Max(length, longest) + joiners.Append(j).Concat(active.Select(s => s.Job)).Max(x => jobs[x].Settings.MaxNewTokens);
                    if (rows > slots || (rows > 1 && !budget.Fits(model.Layout, rows, room, longest))) break;
                    joiners.Add(j);
                }
                if (joiners.Count > 0)
                {
                    try
                    {
                        Join(model, jobs, joiners, active, ref cache, results, stats);
                        waiting.RemoveRange(0, joiners.Count);
                    }
                    catch (Exception e) when (CausalLM.IsOutOfMemory(e) && active.Count + joiners.Count > 1)
                    {
                        slots = Math.Max(1, (active.Count + joiners.Count) / 2);
                        stats.Halvings++;
                        if (active.Count == 0) continue;
                    }
                }
                if (active.Count == 0) continue;
                Step(model, jobs, active, ref cache, results, stats);
            }
        }
        finally
        {
            cache?.Dispose();
            stats.EngineTime += watch.Elapsed;
        }
        return results.All;
    }

    /// <summary>Results by job, each reported once as it is settled.</summary>
    private sealed class Results(Action<int, GeneratedText?>? finished)
    {
        private readonly List<GeneratedText?> _results = [];
        private readonly List<bool> _settled = [];

        public IReadOnlyList<GeneratedText?> All => _results;

        public void Add()
        {
            _results.Add(null);
            _settled.Add(false);
        }

        public GeneratedText? this[int job]
        {
            get => _results[job];
            set
            {
                _results[job] = value;
                _settled[job] = true;
                finished?.Invoke(job, value);
            }
        }

        public void Cancel(int job)
        {
            _settled[job] = true;
            finished?.Invoke(job, null);
        }
    }

    /// <summary>Prefills the joining prompts together, samples their first tokens and joins their rows to the cache.</summary>
    private static void Join(CausalLM model, IReadOnlyList<GenerationJob> jobs, List<int> joiners, List<Slot> active, ref KvCache? cache, Results results, BatchStats stats)
    {
        var k = joiners.Count;
        var promptLength = joiners.Max(j => jobs[j].Prompt.Length);
        var ids = new long[k * promptLength];
        var mask = new long[k * promptLength];
        var positions = new long[k * promptLength];
        var masks = new List<long>[k];
        for (var r = 0; r < k; r++)
        {
            var prompt = jobs[joiners[r]].Prompt;
            var padId = PadId(jobs[joiners[r]].Settings);
            var pad = promptLength - prompt.Length;
            masks[r] = new List<long>(promptLength);
            for (var t = 0; t < promptLength; t++)
            {
                var real = t >= pad;
                ids[r * promptLength + t] = real ? prompt[t - pad] : padId;
                mask[r * promptLength + t] = real ? 1 : 0;
                positions[r * promptLength + t] = real ? t - pad : 1;
                masks[r].Add(real ? 1 : 0);
            }
            stats.Tokens += prompt.Length;
        }
        stats.Batch(k);
        using var empty = KvCache.Empty(model.Runtime, model.Layout, k);
        var (logits, prefilled) = model.Forward(ids, mask, positions, k, promptLength, empty);
        using (prefilled)
        {
            var joined = new List<Slot>();
            using (logits)
            {
                for (var r = 0; r < k; r++)
                {
                    var job = jobs[joiners[r]];
                    var row = new CausalLM.GenerationRow(model, job.Settings, job.Prompt.Length);
                    Accept(row, job, row.Sampler.Next(model.LogitsRow(logits, r * promptLength + promptLength - 1)), stats);
                    if (row.Done) results[joiners[r]] = row.Result();
                    else joined.Add(new Slot(joiners[r], row, masks[r], job.Prompt.Length) { });
                }
            }
            if (joined.Count == 0) return;
            var length = Math.Max(cache?.Length ?? 0, promptLength);
            var current = cache;
            var sources = active.Select((s, i) => new KvRowSource(current!, i, 0, current!.Length)).ToList();
            sources.AddRange(joined.Select(s => new KvRowSource(prefilled, joiners.IndexOf(s.Job), 0, promptLength)));
            var rebuilt = Rebuild(model, sources, length, stats);
            cache?.Dispose();
            cache = rebuilt;
            active.AddRange(joined);
            foreach (var slot in active) slot.Mask.InsertRange(0, Enumerable.Repeat(0L, length - slot.Mask.Count));
        }
    }

    /// <summary>One decode step for every active row; rows that finish leave and the cache is compacted.</summary>
    private static void Step(CausalLM model, IReadOnlyList<GenerationJob> jobs, List<Slot> active, ref KvCache? cache, Results results, BatchStats stats)
    {
        var n = active.Count;
        var length = cache!.Length + 1;
        var ids = new long[n];
        var positions = new long[n];
        var mask = new long[n * length];
        for (var r = 0; r < n; r++)
        {
            var slot = active[r];
            ids[r] = slot.Row.LastToken;
            positions[r] = slot.NextPosition++;
            slot.Mask.Add(1);
            for (var t = 0; t < length; t++) mask[r * length + t] = slot.Mask[t];
        }
        stats.Batch(n);
        var (logits, present) = model.Forward(ids, mask, positions, n, 1, cache);
        cache.Dispose();
        cache = present;
        using (logits)
        {
            for (var r = 0; r < n; r++) Accept(active[r].Row, jobs[active[r].Job], active[r].Row.Sampler.Next(model.LogitsRow(logits, r)), stats);
        }
        if (active.All(s => !s.Row.Done)) return;
        foreach (var slot in active.Where(s => s.Row.Done)) results[slot.Job] = slot.Row.Result();
        Compact(model, active, ref cache, s => !s.Row.Done, stats);
    }

    private static void DropCancelled(CausalLM model, IReadOnlyList<GenerationJob> jobs, List<Slot> active, ref KvCache? cache, BatchStats stats, Results results)
    {
        if (active.All(s => !jobs[s.Job].CancellationToken.IsCancellationRequested)) return;
        foreach (var slot in active.Where(s => jobs[s.Job].CancellationToken.IsCancellationRequested)) results.Cancel(slot.Job);
        Compact(model, active, ref cache, s => !jobs[s.Job].CancellationToken.IsCancellationRequested, stats);
    }

    /// <summary>Keeps the rows <paramref name="keep"/> accepts, dropping leading columns none of them uses.</summary>
    private static void Compact(CausalLM model, List<Slot> active, ref KvCache? cache, Func<Slot, bool> keep, BatchStats stats)
    {
        var rows = active.Select((s, i) => (Slot: s, Row: i)).Where(x => keep(x.Slot)).ToList();
        if (rows.Count == 0)
        {
            active.Clear();
            cache?.Dispose();
            cache = null;
            return;
        }
        var unused = rows.Min(x => x.Slot.Mask.IndexOf(1));
        var length = cache!.Length - unused;
        var current = cache;
        var rebuilt = Rebuild(model, rows.Select(x => new KvRowSource(current, x.Row, unused, length)).ToList(), length, stats);
        cache.Dispose();
        cache = rebuilt;
        active.Clear();
        foreach (var (slot, _) in rows)
        {
            slot.Mask.RemoveRange(0, unused);
            active.Add(slot);
        }
    }

    private static KvCache Rebuild(CausalLM model, List<KvRowSource> sources, int length, BatchStats stats)
    {
        var watch = Stopwatch.StartNew();
        var rebuilt = KvCache.Assemble(model.Runtime, model.Layout, sources, length);
        stats.Rebuilds++;
        stats.RebuildTime += watch.Elapsed;
        return rebuilt;
    }

    private static void Accept(CausalLM.GenerationRow row, GenerationJob job, int token, BatchStats stats)
    {
        stats.Tokens++;
        var delta = row.Accept(token);
        if (delta.Length > 0) job.OnText?.Invoke(delta);
    }

    private static int PadId(GenerationSettings settings) => settings.EosIds.Count > 0 ? settings.EosIds.Min() : 0;
}
