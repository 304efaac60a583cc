using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Ratings;

/// <summary>Settings of a style-controlled fit. The defaults are FastChat's <c>compute_style_control</c>.</summary>
/// <param name="Regularisation">FastChat's <c>reg</c>: the penalty (reg / 2)·‖θ‖² on every parameter in natural units
/// (model strengths and style coefficients), as scikit-learn's default C = 1 on FastChat's earlier duplicated rows.</param>
/// <param name="Tolerance">Converged when the largest Newton step is below this (natural units; 1e-9 ≈ 4e-7 rating points).</param>
/// <param name="BootstrapTolerance">The same for bootstrap refits (1e-6 ≈ 4e-4 rating points, far below an interval's width).</param>
public sealed record StyleControlOptions(
    double Scale = 400,
    double Base = 10,
    double InitialRating = 1000,
    double Regularisation = 0.5,
    string? AnchorModel = BradleyTerryOptions.FastChatAnchorModel,
    double AnchorRating = 1114,
    int MaxIterations = 100,
    double Tolerance = 1e-9,
    double BootstrapTolerance = 1e-6);

/// <summary>A style-controlled fit on all battles.</summary>
/// <param name="Coefficients">One per <see cref="StyleControl.Features"/> (length, headers, lists, bold), in natural units: the
/// change in log-odds of A winning per standard deviation of the normalised difference.</param>
public sealed record StyleControlFit(RatingTable Ratings, IReadOnlyList<double> Coefficients, int Iterations, bool Converged);

/// <summary>The style-controlled leaderboard: rows as <see cref="BradleyTerryRow"/> (rating, bootstrap interval, rank range), best first.</summary>
public sealed record StyleControlLeaderboard(
    IReadOnlyList<BradleyTerryRow> Rows,
    IReadOnlyList<double> Coefficients,
    int Rounds,
    long Seed,
    bool Converged);

/// <summary>
/// Chatbot Arena's style control (FastChat <c>fastchat/serve/monitor/rating_systems.py</c>, <c>compute_style_control</c>,
/// and the write-up "Does style matter?", 2024): a Bradley–Terry logistic regression whose logit for a battle is
/// ln(Base)·(r_a − r_b) + Σ β_k·f_k, where the features f are, for answer length in tokens, markdown headers, list items
/// and bold spans, the normalised difference (a − b) / (a + b + 1), standardised over all battles (mean 0, population
/// standard deviation 1). A win scores 1, a loss 0, either kind of tie ½, each battle once; the penalty is
/// (reg / 2)·‖θ‖². Rating = Scale·r + InitialRating (then the optional anchor shift). The coefficients absorb what style
/// explains, so the ratings say how a model would fare with answers of equal style.
/// <para>FastChat minimises with L-BFGS to a gradient of 1e-6; here Newton's method reaches the exact optimum of the same
/// (strictly convex) objective. Where a feature has no spread (every battle equal), FastChat divides by zero; here that
/// feature is 0 for every battle. The bootstrap resamples battles with replacement (the features keep their full-data
/// standardisation, as FastChat's) and refits; round r draws from its own stream of (seed, r).</para>
/// </summary>
public static class StyleControl
{
    /// <summary>Length, headers, lists, bold: the order of the features and coefficients.</summary>
    public static readonly IReadOnlyList<string> FeatureNames = ["length", "headers", "lists", "bold"];

    private const int K = 4;

    /// <summary>The standardised features of each battle, row-major (battle × <see cref="FeatureNames"/>).</summary>
    public static double[] Features(IReadOnlyList<Battle> battles)
    {
        var n = battles.Count;
        var f = new double[n * K];
        for (var b = 0; b < n; b++)
        {
            var battle = battles[b];
            if (battle.StyleA is not { } a || battle.StyleB is not { } s)
                throw new ArgumentException($"Battle {b} ({battle.ModelA} vs {battle.ModelB}) has no style features; style control needs them for every battle.", nameof(battles));
            f[b * K] = Ratio(a.Tokens, s.Tokens);
            f[b * K + 1] = Ratio(a.Headers, s.Headers);
            f[b * K + 2] = Ratio(a.Lists, s.Lists);
            f[b * K + 3] = Ratio(a.Bold, s.Bold);
        }
        for (var k = 0; k < K; k++)
        {
            double sum = 0;
            for (var b = 0; b < n; b++) sum += f[b * K + k];
            var mean = n == 0 ? 0 : sum / n;
            double squares = 0;
            for (var b = 0; b < n; b++) squares += (f[b * K + k] - mean) * (f[b * K + k] - mean);
            var sd = n == 0 ? 0 : Math.Sqrt(squares / n);
            for (var b = 0; b < n; b++) f[b * K + k] = sd > 0 ? (f[b * K + k] - mean) / sd : 0;
        }
        return f;
    }

    private static double Ratio(int a, int b) => (double)(a - b) / (a + b + 1);

    /// <summary>The style-controlled fit on all <paramref name="battles"/> (each needs <see cref="Battle.StyleA"/> and <see cref="Battle.StyleB"/>).</summary>
    public static StyleControlFit Fit(IReadOnlyList<Battle> battles, StyleControlOptions? options = null)
    {
        options ??= new StyleControlOptions();
        var problem = Problem.From(battles);
        var theta = new double[problem.Models.Length + K];
        var weights = new double[problem.Count];
        Array.Fill(weights, 1.0);
        var (iterations, converged) = new Newton(problem, options).Solve(weights, theta, lineSearch: true);
        return new StyleControlFit(new RatingTable(problem.Models, ToRatings(theta, problem, options, AllPresent(problem))),
            theta[problem.Models.Length..], iterations, converged);
    }

    /// <summary>The fit plus <paramref name="rounds"/> bootstrap refits: ratings with 95% intervals and rank ranges.
    /// Deterministic for a given <paramref name="seed"/>, whatever <paramref name="maxDegreeOfParallelism"/> is.</summary>
    public static StyleControlLeaderboard Leaderboard(IReadOnlyList<Battle> battles, int rounds = 100, long seed = 42,
        StyleControlOptions? options = null, int maxDegreeOfParallelism = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rounds);
        options ??= new StyleControlOptions();
        var problem = Problem.From(battles);
        var m = problem.Models.Length;
        var n = problem.Count;
        var theta = new double[m + K];
        var ones = new double[n];
        Array.Fill(ones, 1.0);
        var full = new Newton(problem, options);
        var (_, converged) = full.Solve(ones, theta, lineSearch: true);
        var point = ToRatings(theta, problem, options, AllPresent(problem));
        // A resample's Hessian differs from the full fit's by O(1/√n), so each round iterates with the full fit's
        // factorised Hessian (a chord method): gradient passes only, converging in a few steps to the same optimum.
        var factor = full.FactorAt(ones, theta);

        var samples = new double[rounds * m];
        if (rounds > 0 && n > 0)
        {
            Parallel.For(0, rounds, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
                () => (Newton: new Newton(problem, options), Weights: new double[n], Theta: new double[m + K], Present: new bool[m]),
                (r, _, ws) =>
                {
                    var rng = SeededRandom.ForStream(seed, r);
                    Array.Clear(ws.Weights);
                    for (var i = 0; i < n; i++) ws.Weights[rng.NextInt(n)] += 1;
                    Array.Clear(ws.Present);
                    for (var b = 0; b < n; b++)
                        if (ws.Weights[b] > 0)
                            ws.Present[problem.A[b]] = ws.Present[problem.B[b]] = true;
                    theta.AsSpan().CopyTo(ws.Theta); // warm start from the full fit
                    ws.Newton.SolveWithFactor(ws.Weights, ws.Theta, factor);
                    ToRatings(ws.Theta, problem, options, ws.Present).AsSpan().CopyTo(samples.AsSpan(r * m, m));
                    return ws;
                },
                _ => { });
        }

        var votes = new int[m];
        for (var b = 0; b < n; b++)
        {
            votes[problem.A[b]]++;
            votes[problem.B[b]]++;
        }
        var rows = RatingRows.Build(problem.Models, point, samples, rounds, votes);
        return new StyleControlLeaderboard(rows, theta[m..], rounds, seed, converged);
    }

    private static bool[] AllPresent(Problem problem)
    {
        var present = new bool[problem.Models.Length];
        Array.Fill(present, true);
        return present;
    }

    private static double[] ToRatings(double[] theta, Problem problem, StyleControlOptions options, bool[] present)
    {
        var m = problem.Models.Length;
        var ratings = new double[m];
        for (var i = 0; i < m; i++) ratings[i] = present[i] ? options.Scale * theta[i] + options.InitialRating : double.NaN;
        if (options.AnchorModel is { } anchor && Array.IndexOf(problem.Models, anchor) is var a and >= 0 && present[a])
        {
            var shift = options.AnchorRating - ratings[a];
            for (var i = 0; i < m; i++) ratings[i] += shift;
        }
        return ratings;
    }

    /// <summary>Battles as model indices, outcomes and standardised features; self-battles are dropped, as in the plain fit.</summary>
    private sealed class Problem
    {
        public required string[] Models { get; init; }
        public required int[] A { get; init; }
        public required int[] B { get; init; }
        public required double[] Y { get; init; }
        public required double[] F { get; init; }
        public int Count => A.Length;

        public static Problem From(IReadOnlyList<Battle> battles)
        {
            var kept = battles.Where(b => b.ModelA != b.ModelB).ToList();
            var features = Features(kept);
            var slot = new Dictionary<string, int>(StringComparer.Ordinal);
            var models = new List<string>();
            int Slot(string model)
            {
                if (slot.TryGetValue(model, out var i)) return i;
                models.Add(model);
                return slot[model] = models.Count - 1;
            }
            var a = new int[kept.Count];
            var b = new int[kept.Count];
            var y = new double[kept.Count];
            for (var i = 0; i < kept.Count; i++)
            {
                a[i] = Slot(kept[i].ModelA);
                b[i] = Slot(kept[i].ModelB);
                y[i] = kept[i].ScoreA;
            }
            return new Problem { Models = [.. models], A = a, B = b, Y = y, F = features };
        }
    }

    /// <summary>Newton's method on the penalised negative log-likelihood; the ridge makes the Hessian positive definite.</summary>
    private sealed class Newton(Problem problem, StyleControlOptions options)
    {
        private readonly int _d = problem.Models.Length + K;
        private readonly double[] _h = new double[(problem.Models.Length + K) * (problem.Models.Length + K)];
        private readonly double[] _g = new double[problem.Models.Length + K];
        private readonly double[] _trial = new double[problem.Models.Length + K];
        private readonly double _c = Math.Log(options.Base);

        public (int Iterations, bool Converged) Solve(double[] weights, double[] theta, bool lineSearch)
        {
            var objective = lineSearch ? Objective(weights, theta) : 0;
            for (var iteration = 1; iteration <= options.MaxIterations; iteration++)
            {
                Assemble(weights, theta);
                if (!CholeskySolve()) return (iteration, false);
                var largest = 0.0;
                for (var i = 0; i < _d; i++) largest = Math.Max(largest, Math.Abs(_g[i]));
                var t = 1.0;
                if (lineSearch)
                {
                    while (true)
                    {
                        for (var i = 0; i < _d; i++) _trial[i] = theta[i] - t * _g[i];
                        var value = Objective(weights, _trial);
                        // Near the optimum a step's decrease is below the objective's rounding (about 1e-16 of its
                        // size): without the slack, rounding noise would halve the step to nothing and stop the
                        // iteration about 1e-8 (natural units) short of the optimum, reported as converged.
                        if (value <= objective + 1e-12 * Math.Abs(objective) || t < 1e-10)
                        {
                            objective = value;
                            break;
                        }
                        t /= 2;
                    }
                    _trial.AsSpan().CopyTo(theta);
                }
                else
                    for (var i = 0; i < _d; i++) theta[i] -= _g[i];
                // Converged on the full Newton step (the distance to the optimum of the local quadratic), not on a
                // step the line search shortened.
                if (largest < options.Tolerance) return (iteration, true);
            }
            return (options.MaxIterations, false);
        }

        /// <summary>The Cholesky factor of the Hessian at <paramref name="theta"/> (a copy; null if not positive definite).</summary>
        public double[]? FactorAt(double[] weights, double[] theta)
        {
            Assemble(weights, theta);
            return CholeskySolve() ? (double[])_h.Clone() : null;
        }

        /// <summary>Iterates θ ← θ − H₀⁻¹·∇(θ) with a fixed factorised Hessian H₀ until the step is below the tolerance.</summary>
        public (int Iterations, bool Converged) SolveWithFactor(double[] weights, double[] theta, double[]? factor)
        {
            if (factor is null) return Solve(weights, theta, lineSearch: false);
            var m = problem.Models.Length;
            for (var iteration = 1; iteration <= options.MaxIterations; iteration++)
            {
                for (var i = 0; i < _d; i++) _g[i] = options.Regularisation * theta[i];
                for (var b = 0; b < problem.Count; b++)
                {
                    var w = weights[b];
                    if (w == 0) continue;
                    var residual = w * (1 / (1 + Math.Exp(-Logit(theta, b))) - problem.Y[b]);
                    _g[problem.A[b]] += _c * residual;
                    _g[problem.B[b]] -= _c * residual;
                    var f = problem.F.AsSpan(b * K, K);
                    for (var k = 0; k < K; k++) _g[m + k] += f[k] * residual;
                }
                Substitute(factor);
                var largest = 0.0;
                for (var i = 0; i < _d; i++)
                {
                    theta[i] -= _g[i];
                    largest = Math.Max(largest, Math.Abs(_g[i]));
                }
                if (largest < options.BootstrapTolerance) return (iteration, true);
            }
            return (options.MaxIterations, false);
        }

        private double Logit(double[] theta, int b)
        {
            var f = problem.F.AsSpan(b * K, K);
            var m = problem.Models.Length;
            return _c * (theta[problem.A[b]] - theta[problem.B[b]]) + f[0] * theta[m] + f[1] * theta[m + 1] + f[2] * theta[m + 2] + f[3] * theta[m + 3];
        }

        private double Objective(double[] weights, double[] theta)
        {
            double value = 0;
            for (var b = 0; b < problem.Count; b++)
            {
                if (weights[b] == 0) continue;
                var z = Logit(theta, b);
                var y = problem.Y[b];
                // −[y·log σ(z) + (1 − y)·log σ(−z)]
                value -= weights[b] * (y * LogSigmoid(z) + (1 - y) * LogSigmoid(-z));
            }
            double squares = 0;
            for (var i = 0; i < _d; i++) squares += theta[i] * theta[i];
            return value + options.Regularisation / 2 * squares;
        }

        private static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

        /// <summary>Gradient into _g and Hessian into _h (lower triangle used) of the penalised objective.</summary>
        private void Assemble(double[] weights, double[] theta)
        {
            var m = problem.Models.Length;
            var d = _d;
            Array.Clear(_h);
            for (var i = 0; i < d; i++)
            {
                _g[i] = options.Regularisation * theta[i];
                _h[i * d + i] = options.Regularisation;
            }
            Span<double> fs = stackalloc double[K];
            for (var b = 0; b < problem.Count; b++)
            {
                var w = weights[b];
                if (w == 0) continue;
                var p = 1 / (1 + Math.Exp(-Logit(theta, b)));
                var residual = w * (p - problem.Y[b]);
                var curvature = w * p * (1 - p);
                int a = problem.A[b], o = problem.B[b];
                var f = problem.F.AsSpan(b * K, K);
                _g[a] += _c * residual;
                _g[o] -= _c * residual;
                var cc = _c * _c * curvature;
                _h[a * d + a] += cc;
                _h[o * d + o] += cc;
                _h[Math.Max(a, o) * d + Math.Min(a, o)] -= cc;
                for (var k = 0; k < K; k++)
                {
                    _g[m + k] += f[k] * residual;
                    fs[k] = f[k] * curvature;
                    var row = (m + k) * d;
                    _h[row + a] += _c * fs[k];
                    _h[row + o] -= _c * fs[k];
                    for (var l = 0; l <= k; l++) _h[row + m + l] += fs[k] * f[l];
                }
            }
        }

        /// <summary>Solves H·x = g in place (x into _g) by Cholesky on the lower triangle; false if H is not positive definite.</summary>
        private bool CholeskySolve()
        {
            var d = _d;
            for (var j = 0; j < d; j++)
            {
                var sum = _h[j * d + j];
                for (var k = 0; k < j; k++) sum -= _h[j * d + k] * _h[j * d + k];
                if (!(sum > 0)) return false;
                var pivot = Math.Sqrt(sum);
                _h[j * d + j] = pivot;
                for (var i = j + 1; i < d; i++)
                {
                    var s = _h[i * d + j];
                    for (var k = 0; k < j; k++) s -= _h[i * d + k] * _h[j * d + k];
                    _h[i * d + j] = s / pivot;
                }
            }
            Substitute(_h);
            return true;
        }

        /// <summary>Solves L·Lᵀ·x = _g in place with the lower-triangular factor L.</summary>
        private void Substitute(double[] l)
        {
            var d = _d;
            for (var i = 0; i < d; i++)
            {
                var s = _g[i];
                for (var k = 0; k < i; k++) s -= l[i * d + k] * _g[k];
                _g[i] = s / l[i * d + i];
            }
            for (var i = d - 1; i >= 0; i--)
            {
                var s = _g[i];
                for (var k = i + 1; k < d; k++) s -= l[k * d + i] * _g[k];
                _g[i] = s / l[i * d + i];
            }
        }
    }
}
