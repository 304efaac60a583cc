using System.Diagnostics;

namespace Evals.Runner.Backends.Onnx;

/// <param name="OnText">Text that is safe to stream, as <see cref="CausalLM.Generate"/> reports it at batch 1.</param>
/// <param name="CancellationToken">This prompt's own cancellation: it leaves the batch at the next step, the others go on.</param>
internal sealed record GenerationJob(int[] Prompt, GenerationSettings Settings, Action<string>? OnText = null, CancellationToken CancellationToken = default);

/// <summary>
/// Continuous batching on the host: up to <c>slots</c> sequences decode together, one forward pass a step. A sequence that
/// finishes (EOS, a stop string, its token limit, cancellation) is answered at once and its row goes idle (fed a masked pad
/// token); idle rows are dropped from the cache when prompts join, or when they are half the batch, so a finish does not
/// cost a rebuild of its own. Waiting prompts join at a step boundary: they are prefilled in passes of at most
/// <see cref="PrefillPositions"/> padded positions (left-padded; a pass over many long prompts padded to the longest is
/// far slower per prompt than small ones), and their cache rows are joined to the running ones, right-aligned, the gap
/// masked out, in one copy that also drops idle rows and leading columns no row uses. Each sequence keeps its own sampler
/// (seeded per sequence), stop strings, limit and stream, so its output does not depend on its neighbours. When ONNX
/// Runtime cannot allocate a decode step, the batch is halved: the second half of the rows leaves the cache and waits,
/// keeping its tokens and sampler, and rejoins later by prefilling prompt and tokens so far. Rebuilds, prefills and decode
/// time are counted in <see cref="BatchStats"/>.
/// </summary>
internal static class BatchedGeneration
{
    /// <summary>Padded positions (rows × longest prompt) one prefill pass may feed; a single longer prompt runs alone.</summary>
    public const int PrefillPositions = 512;

    private sealed class Slot(int job, CausalLM.GenerationRow row, List<long> mask, long nextPosition)
    {
        public int Job { get; } = job;
        public CausalLM.GenerationRow Row { get; } = row;
        /// <summary>One entry per cache column: whether this row's token is there.</summary>
        public List<long> Mask { get; } = mask;
        public long NextPosition { get; set; } = nextPosition;
        /// <summary>Finished or cancelled and answered: the row is fed a masked pad until the next rebuild drops it.</summary>
        public bool Idle { get; set; }
    }

    /// <summary>A prompt to prefill: a new job, or one that left the cache when the batch was halved (with its row so far).</summary>
    private sealed record Waiting(int Job, int[] Ids, CausalLM.GenerationRow? Row);

    /// <param name="arrivals">Polled at each step boundary for prompts that arrived since (they join when a slot is free).</param>
    /// <param name="finished">Told of each job as soon as it finishes (null result: cancelled), by its index in arrival order.</param>
    /// <returns>One result per job, given and arrived, in that order; null for a job that was cancelled.</returns>
    public static IReadOnlyList<GeneratedText?> Generate(CausalLM model, IReadOnlyList<GenerationJob> given, BatchBudget budget, BatchStats stats,
        Func<IReadOnlyList<GenerationJob>>? arrivals = null, Action<int, GeneratedText?>? finished = null, CancellationToken cancellationToken = default)
    {
        if (!model.KvOnHost) throw new InvalidOperationException("batched generation rebuilds the cache on the host; on a device each prompt runs alone");
        var jobs = new List<GenerationJob>();
        var results = new Results(finished);
        var waiting = new List<Waiting>();
        void Order() =>
            // Rows that left on a halving first (they hold answers in progress), then shortest first: prompts that join together pad less.
            waiting.Sort((a, b) => (a.Row is null) != (b.Row is null) ? (a.Row is null ? 1 : -1)
                : a.Ids.Length != b.Ids.Length ? a.Ids.Length.CompareTo(b.Ids.Length) : a.Job.CompareTo(b.Job));
        void Arrive(IReadOnlyList<GenerationJob> arrived)
        {
            foreach (var job in arrived)
            {
                var i = jobs.Count;
                jobs.Add(job);
                results.Add();
                if (job.Prompt.Length == 0) throw new ArgumentException($"prompt {i}: every prompt needs at least one token");
                if (job.Settings.MaxNewTokens <= 0) results[i] = new GeneratedText([], "", "length", job.Prompt.Length);
                else waiting.Add(new Waiting(i, job.Prompt, null));
            }
            Order();
        }
        Arrive(given);
        var watch = Stopwatch.StartNew();
        var active = new List<Slot>();
        KvCache? cache = null;
        var slots = budget.MaxRows;
        try
        {
            while (waiting.Count > 0 || active.Any(s => !s.Idle))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (arrivals?.Invoke() is { Count: > 0 } arrived) Arrive(arrived);
                foreach (var slot in active.Where(s => !s.Idle && jobs[s.Job].CancellationToken.IsCancellationRequested))
                {
                    slot.Idle = true;
                    results.Cancel(slot.Job);
                }
                waiting.RemoveAll(w =>
                {
                    if (!jobs[w.Job].CancellationToken.IsCancellationRequested) return false;
                    results.Cancel(w.Job);
                    return true;
                });
                var live = active.Where(s => !s.Idle).ToList();
                var length = live.Count == 0 ? 0 : cache!.Length - live.Min(s => s.Mask.IndexOf(1));
                var joiners = new List<Waiting>();
                foreach (var w in waiting)
                {
                    var rows = live.Count + joiners.Count + 1;
                    var longest = joiners.Append(w).Max(x => x.Ids.Length);
                    var room = Math.Max(length, longest) + joiners.Append(w).Select(x => x.Job).Concat(live.Select(s => s.Job)).Max(x => jobs[x].Settings.MaxNewTokens);
                    if (rows > slots || (rows > 1 && !budget.Fits(model.Layout, rows, room, Math.Min(longest, PrefillPositions)))) break;
                    joiners.Add(w);
                }
                if (joiners.Count > 0)
                {
                    try
                    {
                        Join(model, jobs, joiners, active, ref cache, results, stats);
                        waiting.RemoveRange(0, joiners.Count);
                    }
                    catch (Exception e) when (CausalLM.IsOutOfMemory(e) && live.Count + joiners.Count > 1)
                    {
                        slots = Math.Max(1, (live.Count + joiners.Count) / 2);
                        stats.Halvings++;
                        if (live.Count == 0) continue;
                    }
                }
                else if (active.Count(s => s.Idle) * 2 >= active.Count) Compact(model, active, ref cache, stats);
                if (active.All(s => s.Idle)) continue;
                try
                {
                    Step(model, jobs, active, ref cache, results, stats);
                }
                catch (Exception e) when (CausalLM.IsOutOfMemory(e) && active.Count(s => !s.Idle) > 1)
                {
                    // Nothing of this step was taken, so the cache still holds every row: keep the first half, park the rest.
                    var running = active.Where(s => !s.Idle).ToList();
                    slots = Math.Max(1, running.Count / 2);
                    stats.Halvings++;
                    foreach (var slot in running.Skip(slots))
                    {
                        slot.Idle = true;
                        waiting.Add(new Waiting(slot.Job, [.. jobs[slot.Job].Prompt, .. slot.Row.Tokens], slot.Row));
                    }
                    Order();
                    Compact(model, active, ref cache, stats);
                }
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

    /// <summary>
    /// Prefills the joining prompts (in passes of at most <see cref="PrefillPositions"/> padded positions), then samples
    /// their first tokens, and joins their rows to the running ones, dropping idle rows, in one copy. The sampling waits
    /// until every pass has run, so an allocation failure in any pass leaves every joiner as it was.
    /// </summary>
    private static void Join(CausalLM model, IReadOnlyList<GenerationJob> jobs, List<Waiting> joiners, List<Slot> active, ref KvCache? cache, Results results, BatchStats stats)
    {
        var prefilled = new List<(KvCache Cache, int Row, float[] Logits, List<long> Mask)>();
        try
        {
            for (var first = 0; first < joiners.Count;)
            {
                var count = 1;
                var promptLength = joiners[first].Ids.Length;
                while (first + count < joiners.Count && (count + 1) * Math.Max(promptLength, joiners[first + count].Ids.Length) <= PrefillPositions)
                    promptLength = Math.Max(promptLength, joiners[first + count++].Ids.Length);
                var chunk = joiners.GetRange(first, count);
                var ids = new long[count * promptLength];
                var mask = new long[count * promptLength];
                var positions = new long[count * promptLength];
                var masks = new List<long>[count];
                for (var r = 0; r < count; r++)
                {
                    var prompt = chunk[r].Ids;
                    var padId = PadId(jobs[chunk[r].Job].Settings);
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
                }
                stats.Batch(count);
                using var empty = KvCache.Empty(model.Runtime, model.Layout, count);
                var watch = Stopwatch.StartNew();
                var (logits, present) = model.Forward(ids, mask, positions, count, promptLength, empty);
                stats.Prefills++;
                stats.PrefillTime += watch.Elapsed;
                using (logits)
                {
                    for (var r = 0; r < count; r++) prefilled.Add((present, r, model.LogitsRow(logits, r * promptLength + promptLength - 1).ToArray(), masks[r]));
                }
                first += count;
            }
            var joined = new List<Slot>();
            for (var i = 0; i < joiners.Count; i++)
            {
                var (job, ids, resumed) = joiners[i];
                var settings = jobs[job].Settings;
                var row = resumed ?? new CausalLM.GenerationRow(model, settings, jobs[job].Prompt.Length);
                if (resumed is null) stats.Tokens += ids.Length;
                Accept(row, jobs[job], row.Sampler.Next(prefilled[i].Logits), stats);
                if (row.Done) results[job] = row.Result();
                else joined.Add(new Slot(job, row, prefilled[i].Mask, ids.Length));
            }
            var sources = new List<KvRowSource>();
            var rows = new List<Slot>();
            var current = cache;
            var live = active.Select((s, i) => (Slot: s, Row: i)).Where(x => !x.Slot.Idle).ToList();
            var unused = live.Count == 0 ? 0 : live.Min(x => x.Slot.Mask.IndexOf(1));
            foreach (var (slot, row) in live)
            {
                sources.Add(new KvRowSource(current!, row, unused, current!.Length - unused));
                slot.Mask.RemoveRange(0, unused);
                rows.Add(slot);
            }
            for (var i = 0; i < joiners.Count; i++)
            {
                if (joined.Find(s => s.Job == joiners[i].Job) is not { } slot) continue;
                sources.Add(new KvRowSource(prefilled[i].Cache, prefilled[i].Row, 0, prefilled[i].Cache.Length));
                rows.Add(slot);
            }
            if (rows.Count == 0)
            {
                active.Clear();
                cache?.Dispose();
                cache = null;
                return;
            }
            var length = sources.Max(s => s.Count);
            var rebuilt = Rebuild(model, sources, length, stats);
            cache?.Dispose();
            cache = rebuilt;
            active.Clear();
            active.AddRange(rows);
            foreach (var slot in active) slot.Mask.InsertRange(0, Enumerable.Repeat(0L, length - slot.Mask.Count));
        }
        finally
        {
            foreach (var c in prefilled.Select(p => p.Cache).Distinct()) c.Dispose();
        }
    }

    /// <summary>One decode step for every row (idle ones fed a masked pad); rows that finish are answered and go idle.</summary>
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
            ids[r] = slot.Idle ? PadId(jobs[slot.Job].Settings) : slot.Row.LastToken;
            positions[r] = slot.Idle ? 1 : slot.NextPosition;
            for (var t = 0; t < length - 1; t++) mask[r * length + t] = slot.Mask[t];
            mask[r * length + length - 1] = slot.Idle ? 0 : 1;
        }
        var watch = Stopwatch.StartNew();
        var (logits, present) = model.Forward(ids, mask, positions, n, 1, cache);
        stats.DecodeTime += watch.Elapsed;
        stats.Batch(active.Count(s => !s.Idle));
        cache.Dispose();
        cache = present;
        using (logits)
        {
            for (var r = 0; r < n; r++)
            {
                var slot = active[r];
                slot.Mask.Add(slot.Idle ? 0 : 1);
                if (slot.Idle) continue;
                slot.NextPosition++;
                Accept(slot.Row, jobs[slot.Job], slot.Row.Sampler.Next(model.LogitsRow(logits, r)), stats);
                if (!slot.Row.Done) continue;
                slot.Idle = true;
                results[slot.Job] = slot.Row.Result();
            }
        }
    }

    /// <summary>Drops the idle rows and the leading columns no remaining row uses.</summary>
    private static void Compact(CausalLM model, List<Slot> active, ref KvCache? cache, BatchStats stats)
    {
        var rows = active.Select((s, i) => (Slot: s, Row: i)).Where(x => !x.Slot.Idle).ToList();
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
