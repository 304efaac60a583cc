using Evals.Benchmarks.Models;
using Evals.Runner.Backends.Baselines;
using Evals.Runner.Backends.Caching;
using Evals.Runner.Backends.Onnx;
using Evals.Runner.Backends.OpenAiCompatible;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Evals.Runner.Backends;

/// <summary>
/// Turns a spec into a backend. One line per scheme; an unknown scheme is an error naming the known ones. With
/// <paramref name="budgets"/> (every host that has the database) remote endpoints' limits are shared across the cluster.
/// </summary>
public sealed class BackendFactory(ILoggerFactory? loggers = null, EndpointBudgets? budgets = null)
{
    private static readonly string[] Schemes = [BaselineBackend.Scheme, OnnxBackend.Scheme, OpenAiCompatibleBackend.Scheme];
    private readonly ILoggerFactory _loggers = loggers ?? NullLoggerFactory.Instance;

    public IModelBackend Create(ModelSpec spec) => spec.Scheme switch
    {
        BaselineBackend.Scheme => BaselineBackend.Create(spec),
        OnnxBackend.Scheme => OnnxBackend.Create(spec, _loggers.CreateLogger<OnnxBackend>()),
        OpenAiCompatibleBackend.Scheme => OpenAiCompatibleBackend.Create(spec, shared: budgets),
        _ => throw Unknown(spec),
    };

    /// <summary>The backend a run uses: every call goes through the response cache unless the run said <c>--no-cache</c>.</summary>
    public IModelBackend CreateForRun(ModelSpec spec, ResponseCache? cache)
    {
        var backend = Create(spec);
        return cache is null ? backend : new CachingBackend(backend, cache, ModelIdentity.For(spec), ModelIdentity.Samples(spec));
    }

    /// <summary>
    /// Checks a spec without loading the model (it is loaded by the worker that runs it) and says what the model can do.
    /// Throws <see cref="ModelSpecException"/> naming what is wrong.
    /// </summary>
    public ModelCapabilities Describe(ModelSpec spec)
    {
        switch (spec.Scheme)
        {
            case BaselineBackend.Scheme:
                return BaselineBackend.Create(spec).Capabilities;
            case OnnxBackend.Scheme:
                OnnxBackend.Validate(spec);
                return OnnxBackend.CapabilitiesFor(spec);
            case OpenAiCompatibleBackend.Scheme:
                return OpenAiCompatibleBackend.Validate(spec);
            default:
                throw Unknown(spec);
        }
    }

    /// <summary>
    /// Checks a spec against the run's tasks where the model's answers are keyed by item (<c>baseline:replay</c> with
    /// JSON Lines): throws <see cref="ModelSpecException"/> naming each bad line; tells <paramref name="warn"/> of items
    /// the model has no answer for.
    /// </summary>
    /// <param name="tasks">Full name, evaluation item ids in order, and how many of them the run asks.</param>
    public void CheckSuite(ModelSpec spec, string suite, IReadOnlyList<(string Task, IReadOnlyList<string> ItemIds, int Asked)> tasks, Action<string>? warn) =>
        ReplayBaseline.CheckSuite(spec, suite, tasks, warn);

    private static ModelSpecException Unknown(ModelSpec spec) =>
        new($"model spec '{spec.Text}': unknown scheme '{spec.Scheme}'; known schemes: {string.Join(", ", Schemes)}");
}
