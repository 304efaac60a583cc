namespace Evals.Benchmarks.Suites;

/// <summary>The one explicit catalog of task kinds. A new kind of task is one class plus one line here.</summary>
public static class TaskKinds
{
    private static readonly Dictionary<string, Func<string, TaskManifest, IReadOnlyList<TaskItem>, EvalTask>> Factories = Build(
        ("multiple_choice", (s, m, i) => new ChoiceTask(s, m, i)),
        ("classification", (s, m, i) => new ChoiceTask(s, m, i)),
        ("span_extraction", (s, m, i) => new Reading.SpanExtractionTask(s, m, i)),
        (Maths.NumericAnswerTask.KindName, (s, m, i) => new Maths.NumericAnswerTask(s, m, i)),
        (Hallucination.HallucinationQaTask.KindName, (s, m, i) => new Hallucination.HallucinationQaTask(s, m, i)),
        (Generation.GenerationTask.KindName, (s, m, i) => new Generation.GenerationTask(s, m, i)),
        (Judged.PairwiseJudgedTask.KindName, (s, m, i) => new Judged.PairwiseJudgedTask(s, m, i)),
        (Judged.JudgedSingleTask.KindName, (s, m, i) => new Judged.JudgedSingleTask(s, m, i)));

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static EvalTask Create(string suite, TaskManifest manifest, IReadOnlyList<TaskItem> items) =>
        Factories.TryGetValue(manifest.Kind, out var factory)
            ? factory(suite, manifest, items)
            : throw new TaskDataException($"task {suite}/{manifest.Name}: unknown kind '{manifest.Kind}'; known kinds: {string.Join(", ", Factories.Keys)}");

    private static Dictionary<string, Func<string, TaskManifest, IReadOnlyList<TaskItem>, EvalTask>> Build(
        params (string Name, Func<string, TaskManifest, IReadOnlyList<TaskItem>, EvalTask> Factory)[] kinds)
    {
        var map = new Dictionary<string, Func<string, TaskManifest, IReadOnlyList<TaskItem>, EvalTask>>(StringComparer.Ordinal);
        foreach (var (name, factory) in kinds)
            if (!map.TryAdd(name, factory)) throw new InvalidOperationException($"task kind '{name}' is registered twice");
        return map;
    }
}
