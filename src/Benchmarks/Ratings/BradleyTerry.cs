using System.Numerics;
using Evals.Benchmarks.Statistics;

namespace Evals.Benchmarks.Ratings;

/// <summary>Settings of a Bradley–Terry fit. The defaults are FastChat's.</summary>
/// <param name="Scale">Rating points per factor of <paramref name="Base"/> in the odds (400).</param>
/// <param name="Base">Base of the odds (10): P(a beats b) = 1 / (1 + Base^((R_b − R_a) / Scale)).</param>
/// <param name="InitialRating">The mean rating of each connected group of models (1000); see <see cref="BradleyTerry"/>.</param>
/// <param name="AnchorModel">When set and present, every rating is shifted so this model sits at <paramref name="AnchorRating"/>.
/// The default is FastChat's (<c>scale_and_offset</c>: <see cref="FastChatAnchorModel"/> at 1114), so a Chatbot Arena
/// battle file rates as FastChat rates it; battles without that model keep the mean at <paramref name="InitialRating"/>,
/// and null never shifts.</param>
/// <param name="AnchorRating">Where <paramref name="AnchorModel"/> is put.</param>
/// <param name="MaxIterations">Newton iterations before giving up; a fit that stops there reports <c>Converged = false</c>.</param>
/// <param name="Tolerance">Converged when the largest Newton step is below this many rating points.</param>
public sealed record BradleyTerryOptions(
    double Scale = 400,
    double Base = 10,
    double InitialRating = 1000,
    string? AnchorModel = BradleyTerryOptions.FastChatAnchorModel,
    double AnchorRating = 1114,
    int MaxIterations = 100,
    double Tolerance = 1e-9)
{
    /// <summary>The model FastChat's <c>scale_and_offset</c> puts at 1114 when it is among the battles.</summary>
    public const string FastChatAnchorModel = "mixtral-8x7b-instruct-v0.1";
}

/// <summary>A maximum-likelihood fit: ratings in first-appearance order of the models.</summary>
/// <param name="Converged">False when the likelihood has no maximum at finite ratings (a model that won, or lost, every
/// battle it played, with no ties) or Newton ran out of iterations; the ratings are then only the last iterate.</param>
public sealed record BradleyTerryFit(RatingTable Ratings, int Iterations, bool Converged, double LogLikelihood);

/// <summary>One row of the Bradley–Terry leaderboard.</summary>
/// <param name="Rating">The fit on all battles (FastChat's point estimate), not a bootstrap median.</param>
/// <param name="CiLow">2.5th percentile of the model's bootstrap ratings.</param>
/// <param name="CiHigh">97.5th percentile of the model's bootstrap ratings.</param>
/// <param name="Votes">Battles the model played (as A or as B).</param>
/// <param name="BestRank">1 + the number of models whose <see cref="CiLow"/> is above this model's <see cref="CiHigh"/> (Arena's "rank (UB)").</param>
/// <param name="WorstRank">The number of models minus those whose <see cref="CiHigh"/> is below this model's <see cref="CiLow"/>.</param>
public sealed record BradleyTerryRow(string Model, double Rating, double CiLow, double CiHigh, int Votes, int BestRank, int WorstRank);

/// <summary>Ratings with bootstrap intervals, rank ranges and the pairwise matrices, rows sorted by rating (best first).</summary>
/// <param name="UnconvergedRounds">Bootstrap rounds whose fit did not converge (see <see cref="BradleyTerryFit.Converged"/>); their ratings are still counted, as FastChat counts whatever its solver returns.</param>
public sealed record BradleyTerryLeaderboard(
    IReadOnlyList<BradleyTerryRow> Rows,
    PairwiseMatrices Matrices,
    int Rounds,
    long Seed,
    bool Converged,
    int UnconvergedRounds);

/// <summary>
/// Bradley–Terry ratings by maximum likelihood, as Chatbot Arena computes them: FastChat
/// <c>fastchat/serve/monitor/elo_analysis.py</c>, <c>compute_mle_elo</c> (and <c>get_bootstrap_result</c> for intervals),
/// which FastChat's current <c>rating_systems.py</c> replaced by <c>compute_bt</c>: the same likelihood on the distinct
/// (pair, outcome) rows weighted by their counts, a tie as outcome ½, minimised by L-BFGS from zero to a gradient of 1e-6.
/// docs/arena.md ("Equal to FastChat") says how the two are checked against each other.
/// <para>The model: P(a beats b) = 1 / (1 + Base^((R_b − R_a) / Scale)). FastChat fits it as an unpenalised logistic
/// regression (scikit-learn, no intercept) on rows with +ln(Base) in a's column and −ln(Base) in b's, weighting each
/// ordered pair by 2 × wins + ties, i.e. a tie counts as half a win each way; rating = Scale × coefficient + InitialRating.
/// Here the same likelihood is maximised by Newton's method with a backtracking line search, to a step below
/// <see cref="BradleyTerryOptions.Tolerance"/> (the exact optimum; scikit-learn stops at its own tolerance 1e-6).</para>
/// <para>Anchoring. The likelihood only sees rating differences. FastChat's solver starts from all-zero coefficients and
/// every gradient sums to zero over each connected group of models, so its ratings average exactly InitialRating
/// (1000) within each group; then, if <c>mixtral-8x7b-instruct-v0.1</c> is present, all ratings are shifted to put it
/// at 1114. This implementation does the same: each connected group is centred on
/// <see cref="BradleyTerryOptions.InitialRating"/>, then the optional <see cref="BradleyTerryOptions.AnchorModel"/> shift.</para>
/// <para>Differences from FastChat, all in corner cases: a battle of a model against itself is ignored (FastChat's
/// pivot table skips the diagonal too, but still lists the model, at 1000); FastChat's pandas alignment drops every
/// pair of a model that never appears in one of its three pivot tables (e.g. never won as model A), where this uses
/// every battle; and when the optimum is at infinity (see <see cref="BradleyTerryFit.Converged"/>) both return an
/// arbitrary large iterate.</para>
/// <para>Bootstrap: each round resamples the battles with replacement (same count; drawn as one multinomial over the
/// (pair, outcome) cells, which has exactly that distribution), refits from a warm start, and the interval is the
/// 2.5th–97.5th percentile over rounds (linear interpolation, as pandas). A model missing from a resample gets no
/// rating in that round, as in FastChat. Round r draws from its own stream of (seed, r), so the result does not depend
/// on the number of threads. FastChat seeds numpy; its numbers cannot be reproduced draw for draw.</para>
/// Higher is better.
/// </summary>
public static class BradleyTerry
{
    /// <summary>The maximum-likelihood fit on all <paramref name="battles"/>.</summary>
    public static BradleyTerryFit Fit(IReadOnlyList<Battle> battles, BradleyTerryOptions? options = null)
    {
        options ??= new BradleyTerryOptions();
        var data = BattleCells.From(battles);
        var m = data.Models.Length;
        var theta = new double[m];
        var wI = new double[data.PairCount];
        var wJ = new double[data.PairCount];
        data.Weights(data.Counts, wI, wJ);
        var workspace = new NewtonWorkspace(m);
        var result = workspace.Solve(data.PairI, data.PairJ, wI, wJ, theta, options);
        var ratings = ToRatings(theta, data.Models, options, workspace.Present);
        return new BradleyTerryFit(new RatingTable(data.Models, ratings), result.Iterations, result.Converged, result.LogLikelihood);
    }

    /// <summary>
    /// The fit on all battles plus <paramref name="rounds"/> bootstrap refits: the leaderboard with 95% intervals, rank
    /// ranges, votes and the pairwise matrices. Deterministic for a given <paramref name="seed"/>, whatever
    /// <paramref name="maxDegreeOfParallelism"/> is (−1 = all cores).
    /// </summary>
    public static BradleyTerryLeaderboard Leaderboard(
        IReadOnlyList<Battle> battles,
        int rounds = 100,
        long seed = 42,
        BradleyTerryOptions? options = null,
        int maxDegreeOfParallelism = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rounds);
        options ??= new BradleyTerryOptions();
        var data = BattleCells.From(battles);
        var m = data.Models.Length;
        var p = data.PairCount;

        var theta = new double[m];
        var wI = new double[p];
        var wJ = new double[p];
        data.Weights(data.Counts, wI, wJ);
        var full = new NewtonWorkspace(m);
        var fullResult = full.Solve(data.PairI, data.PairJ, wI, wJ, theta, options);
        var point = ToRatings(theta, data.Models, options, full.Present);

        var samples = new double[rounds * m];
        var unconverged = 0;
        if (rounds > 0 && data.BattleCount > 0)
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
            var logFactorials = new LogFactorials(data.BattleCount);
            Parallel.For(0, rounds, parallel,
                () => new RoundWorkspace(m, p, data.CellCount),
                (r, _, ws) =>
                {
                    var rng = SeededRandom.ForStream(seed, r);
                    // n battles drawn with replacement, counted per (pair, outcome) cell, is one multinomial draw over
                    // the cells: O(cells) binomials per round instead of O(battles) draws, the same distribution.
                    BinomialSampler.Multinomial(ref rng, data.BattleCount, data.Counts, ws.Counts, logFactorials);
                    data.Weights(ws.Counts, ws.WI, ws.WJ);
                    theta.AsSpan().CopyTo(ws.Theta); // warm start from the full fit
                    var result = ws.Newton.Solve(data.PairI, data.PairJ, ws.WI, ws.WJ, ws.Theta, options, needLogLikelihood: false);
                    if (!result.Converged) Interlocked.Increment(ref unconverged);
                    var ratings = ToRatings(ws.Theta, data.Models, options, ws.Newton.Present);
                    ratings.AsSpan().CopyTo(samples.AsSpan(r * m, m));
                    return ws;
                },
                _ => { });
        }

        var rows = RatingRows.Build(data.Models, point, samples, rounds, data.Votes());
        var orderedModels = rows.Select(r => r.Model).ToArray();
        return new BradleyTerryLeaderboard(rows, PairwiseMatrices.Compute(battles, orderedModels), rounds, seed,
            fullResult.Converged, unconverged);
    }

    /// <summary>
    /// The gradient of the log-likelihood (per rating point) at <paramref name="ratings"/>, in the order of
    /// <paramref name="models"/>: zero at the maximum. For checking a fit independently of the solver.
    /// </summary>
    public static double[] LogLikelihoodGradient(IReadOnlyList<Battle> battles, RatingTable ratings, BradleyTerryOptions? options = null)
    {
        options ??= new BradleyTerryOptions();
        var c = Math.Log(options.Base) / options.Scale;
        var slot = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < ratings.Models.Count; i++) slot[ratings.Models[i]] = i;
        var gradient = new double[ratings.Models.Count];
        foreach (var battle in battles)
        {
            if (battle.ModelA == battle.ModelB) continue;
            var a = slot[battle.ModelA];
            var b = slot[battle.ModelB];
            var pa = 1 / (1 + Math.Exp(-c * (ratings.Ratings[a] - ratings.Ratings[b])));
            var residual = battle.ScoreA - pa; // per battle; FastChat's doubled weights only scale this by 2
            gradient[a] += c * residual;
            gradient[b] -= c * residual;
        }
        return gradient;
    }

    private static double[] ToRatings(double[] theta, string[] models, BradleyTerryOptions options, bool[] present)
    {
        var ratings = new double[theta.Length];
        for (var i = 0; i < theta.Length; i++)
            ratings[i] = present[i] ? theta[i] + options.InitialRating : double.NaN;
        if (options.AnchorModel is { } anchor)
        {
            var a = Array.IndexOf(models, anchor);
            if (a >= 0 && present[a])
            {
                var shift = options.AnchorRating - ratings[a];
                for (var i = 0; i < ratings.Length; i++) ratings[i] += shift;
            }
        }
        return ratings;
    }

    private sealed class RoundWorkspace(int models, int pairs, int cells)
    {
        public readonly int[] Counts = new int[cells];
        public readonly double[] WI = new double[pairs];
        public readonly double[] WJ = new double[pairs];
        public readonly double[] Theta = new double[models];
        public readonly NewtonWorkspace Newton = new(models);
    }

    internal readonly record struct NewtonResult(int Iterations, bool Converged, double LogLikelihood);

    /// <summary>Newton's method for the Bradley–Terry log-likelihood on pair weights; reusable buffers for one thread.</summary>
    internal sealed class NewtonWorkspace(int m)
    {
        /// <summary>
        /// Rating points: a Newton step whose every component is smaller is taken without a line search. The curvature
        /// c²·n·p(1−p) changes by a relative c ≈ 0.006 per rating point, so over such a step the quadratic model is exact
        /// to well under a percent and the full step increases the likelihood.
        /// </summary>
        private const double TrustedStep = 1.0;

        private readonly double[] _hessian = new double[m * m];
        private readonly double[] _gradient = new double[m];
        private readonly double[] _step = new double[m];
        private readonly double[] _trial = new double[m];
        private readonly int[] _component = new int[m];
        private readonly int[] _componentSize = new int[m];
        private readonly double[] _componentSum = new double[m];
        public readonly bool[] Present = new bool[m];

        /// <summary>
        /// Maximises Σ_pairs wI log σ(c(θi − θj)) + wJ log σ(c(θj − θi)), c = ln(Base)/Scale, starting from
        /// <paramref name="theta"/>, then centres each connected group of models on zero. Models with no weight are
        /// marked absent in <see cref="Present"/>.
        /// </summary>
        public NewtonResult Solve(int[] pairI, int[] pairJ, double[] wI, double[] wJ, double[] theta, BradleyTerryOptions options, bool needLogLikelihood = true)
        {
            var c = Math.Log(options.Base) / options.Scale;
            FindComponents(pairI, pairJ, wI, wJ);
            Centre(theta);
            var logLikelihood = double.NaN; // evaluated when first needed
            var converged = false;
            var iterations = 0;
            while (iterations < options.MaxIterations && !converged)
            {
                iterations++;
                Assemble(pairI, pairJ, wI, wJ, theta, c);
                if (!CholeskySolve()) break;
                var fullStep = 0.0;
                for (var i = 0; i < m; i++) fullStep = Math.Max(fullStep, Math.Abs(_step[i]));
                if (fullStep < TrustedStep)
                {
                    // This close to the optimum a full Newton step on a smooth concave function is an ascent step:
                    // take it without the likelihood evaluation that dominates the cost of an iteration.
                    for (var i = 0; i < m; i++) theta[i] += _step[i];
                    logLikelihood = double.NaN;
                    converged = fullStep < options.Tolerance;
                    continue;
                }
                if (double.IsNaN(logLikelihood)) logLikelihood = LogLikelihood(pairI, pairJ, wI, wJ, theta, c);
                // Backtrack until the likelihood does not fall (it is concave, so a full step rarely needs it).
                var t = 1.0;
                double trialLikelihood = double.NaN;
                for (var halvings = 0; halvings < 40; halvings++)
                {
                    for (var i = 0; i < m; i++) _trial[i] = theta[i] + t * _step[i];
                    trialLikelihood = LogLikelihood(pairI, pairJ, wI, wJ, _trial, c);
                    if (trialLikelihood >= logLikelihood - 1e-12 * Math.Abs(logLikelihood)) break;
                    t /= 2;
                }
                var largest = 0.0;
                for (var i = 0; i < m; i++)
                {
                    largest = Math.Max(largest, Math.Abs(_trial[i] - theta[i]));
                    theta[i] = _trial[i];
                }
                logLikelihood = trialLikelihood;
                converged = largest < options.Tolerance;
            }
            Centre(theta);
            if (double.IsNaN(logLikelihood) && needLogLikelihood) logLikelihood = LogLikelihood(pairI, pairJ, wI, wJ, theta, c);
            return new NewtonResult(iterations, converged, logLikelihood);
        }

        private void FindComponents(int[] pairI, int[] pairJ, double[] wI, double[] wJ)
        {
            for (var i = 0; i < m; i++) { _component[i] = i; Present[i] = false; }
            for (var k = 0; k < pairI.Length; k++)
            {
                if (wI[k] + wJ[k] <= 0) continue;
                Present[pairI[k]] = Present[pairJ[k]] = true;
                var a = Root(pairI[k]);
                var b = Root(pairJ[k]);
                if (a != b) _component[Math.Max(a, b)] = Math.Min(a, b);
            }
            for (var i = 0; i < m; i++) _component[i] = Root(i);
        }

        private int Root(int i)
        {
            while (_component[i] != i)
            {
                _component[i] = _component[_component[i]];
                i = _component[i];
            }
            return i;
        }

        private void Centre(double[] theta)
        {
            Array.Clear(_componentSum);
            Array.Clear(_componentSize);
            for (var i = 0; i < m; i++)
            {
                _componentSum[_component[i]] += theta[i];
                _componentSize[_component[i]]++;
            }
            for (var i = 0; i < m; i++) theta[i] -= _componentSum[_component[i]] / _componentSize[_component[i]];
        }

        private static double LogLikelihood(int[] pairI, int[] pairJ, double[] wI, double[] wJ, double[] theta, double c)
        {
            var sum = 0.0;
            for (var k = 0; k < pairI.Length; k++)
            {
                if (wI[k] + wJ[k] <= 0) continue;
                var x = c * (theta[pairI[k]] - theta[pairJ[k]]);
                var logP = LogSigmoid(x); // log σ(−x) = log σ(x) − x: one exp and one log per pair
                sum += wI[k] * logP + wJ[k] * (logP - x);
            }
            return sum;
        }

        private static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

        /// <summary>
        /// Gradient g and the negated Hessian, plus s·1·1ᵀ within each connected group: the likelihood is flat along a
        /// group's common shift, the gradient has no component there, so the added term makes the system definite
        /// without changing the step's part that matters, and keeps each group's mean where it is.
        /// </summary>
        private void Assemble(int[] pairI, int[] pairJ, double[] wI, double[] wJ, double[] theta, double c)
        {
            Array.Clear(_hessian);
            Array.Clear(_gradient);
            for (var k = 0; k < pairI.Length; k++)
            {
                var n = wI[k] + wJ[k];
                if (n <= 0) continue;
                int i = pairI[k], j = pairJ[k];
                var p = 1 / (1 + Math.Exp(-c * (theta[i] - theta[j])));
                var g = c * (wI[k] - n * p);
                _gradient[i] += g;
                _gradient[j] -= g;
                var h = c * c * n * p * (1 - p);
                _hessian[i * m + i] += h;
                _hessian[j * m + j] += h;
                _hessian[i * m + j] -= h;
                _hessian[j * m + i] -= h;
            }
            var trace = 0.0;
            for (var i = 0; i < m; i++) trace += _hessian[i * m + i];
            var s = trace > 0 ? trace / m : 1.0;
            for (var i = 0; i < m; i++)
                for (var j = 0; j < m; j++)
                    if (_component[i] == _component[j]) _hessian[i * m + j] += s;
        }

        private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
        {
            var sum = 0.0;
            var k = 0;
            if (Vector.IsHardwareAccelerated && x.Length >= 2 * Vector<double>.Count)
            {
                var acc = Vector<double>.Zero;
                for (; k <= x.Length - Vector<double>.Count; k += Vector<double>.Count)
                    acc += new Vector<double>(x[k..]) * new Vector<double>(y[k..]);
                sum = Vector.Sum(acc);
            }
            for (; k < x.Length; k++) sum += x[k] * y[k];
            return sum;
        }

        /// <summary>Solves H·step = gradient in place by Cholesky; false if H is not positive definite.</summary>
        private bool CholeskySolve()
        {
            var a = _hessian;
            for (var j = 0; j < m; j++)
            {
                // Row-major lower triangle: the inner sums run over contiguous row prefixes.
                var rowJ = a.AsSpan(j * m, j);
                var d = a[j * m + j] - Dot(rowJ, rowJ);
                if (!(d > 0)) return false;
                d = Math.Sqrt(d);
                a[j * m + j] = d;
                for (var i = j + 1; i < m; i++)
                    a[i * m + j] = (a[i * m + j] - Dot(a.AsSpan(i * m, j), rowJ)) / d;
            }
            for (var i = 0; i < m; i++)
            {
                var v = _gradient[i];
                for (var k = 0; k < i; k++) v -= a[i * m + k] * _step[k];
                _step[i] = v / a[i * m + i];
            }
            for (var i = m - 1; i >= 0; i--)
            {
                var v = _step[i];
                for (var k = i + 1; k < m; k++) v -= a[k * m + i] * _step[k];
                _step[i] = v / a[i * m + i];
            }
            return true;
        }
    }
}
