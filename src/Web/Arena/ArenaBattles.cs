using System.Collections.Concurrent;
using Evals.Benchmarks.Models;
using Evals.Benchmarks.Ratings;
using Evals.Runner.Arena;
using Evals.Runner.Backends;
using Evals.Storage;
using Evals.Storage.Entities;
using Evals.Web.V1;
using Microsoft.EntityFrameworkCore;

namespace Evals.Web.Arena;

/// <summary>
/// Why a battle could not start; <see cref="Field"/> names the input at fault, if any, and <see cref="Limit"/> the limit
/// that refused it, if one did.
/// </summary>
public sealed class ArenaException(int status, string message, string? field = null, LimitRefusal? limit = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Field { get; } = field;
    public LimitRefusal? Limit { get; } = limit;
}

/// <summary>
/// Starts battles: draws two different registered models (favouring pairs whose order is least certain and models with
/// few votes, <see cref="PairSelector"/> over the latest ratings snapshot), stores the battle, and generates both answers
/// concurrently through the same served-model path as <c>/v1/chat/completions</c>, streaming pieces into a
/// <see cref="LiveBattle"/>. Each answer is stored with its finish time as soon as it ends; votes need both.
/// </summary>
public sealed class ArenaBattles(
    IDbContextFactory<EvalsDbContext> dbFactory,
    ServedModels served,
    BackendFactory backends,
    ArenaOptions options,
    ArenaLimits limits,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ArenaBattles> logger)
{
    private readonly ConcurrentDictionary<Guid, LiveBattle> _live = new();

    public LiveBattle? Live(Guid id) => _live.TryGetValue(id, out var live) ? live : null;

    public async Task<(ArenaBattle Battle, LiveBattle Live)> StartAsync(string? visitorHash, System.Net.IPAddress? ip, string? prompt, CancellationToken cancellationToken = default)
    {
        try
        {
            var started = await StartBattleAsync(visitorHash, ip, prompt, cancellationToken);
            Hosting.WebTelemetry.ArenaBattles.Add(1, Hosting.WebTelemetry.Result("started"));
            return started;
        }
        catch (ArenaException)
        {
            Hosting.WebTelemetry.ArenaBattles.Add(1, Hosting.WebTelemetry.Result("refused"));
            throw;
        }
    }

    private async Task<(ArenaBattle Battle, LiveBattle Live)> StartBattleAsync(string? visitorHash, System.Net.IPAddress? ip, string? prompt, CancellationToken cancellationToken)
    {
        if (visitorHash is null)
            throw new ArenaException(StatusCodes.Status403Forbidden, $"No visitor cookie: the arena needs the '{VisitorCookie.Name}' cookie from an earlier response (load the arena page, or GET /api/arena/visitor, then send it back) to tie a vote to the session that saw the battle.");
        prompt = prompt?.Trim();
        if (string.IsNullOrEmpty(prompt)) throw new ArenaException(StatusCodes.Status400BadRequest, "'prompt' is required: the question both models answer.", "prompt");
        if (Evals.Storage.Text.StoredText.Problem(prompt) is { } problem)
            throw new ArenaException(StatusCodes.Status400BadRequest, $"'prompt' {problem}.", "prompt");
        if (prompt.Length > options.MaxPromptChars)
            throw new ArenaException(StatusCodes.Status400BadRequest, $"'prompt' is {prompt.Length} characters; at most {options.MaxPromptChars} are allowed.", "prompt");
        if (await limits.TryStartBattleAsync(visitorHash, ip, prompt, cancellationToken) is { } refusal)
        {
            logger.LogInformation("Arena battle from {Ip} refused by {Limit}", ip, refusal.Limit);
            throw new ArenaException(StatusCodes.Status429TooManyRequests, refusal.Message, limit: refusal);
        }

        var (modelA, modelB) = await DrawPairAsync(cancellationToken);
        var battle = new ArenaBattle { VisitorHash = visitorHash, Prompt = prompt, ModelA = modelA, ModelB = modelB, CreatedAt = time.GetUtcNow() };
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.ArenaBattles.Add(battle);
            await db.SaveChangesAsync(cancellationToken);
        }
        var live = new LiveBattle(battle.Id);
        _live[battle.Id] = live;
        logger.LogInformation("Arena battle {Id} started from {Ip}", battle.Id, ip);
        _ = Task.Run(() => RunAsync(battle, live));
        return (battle, live);
    }

    private async Task<(string A, string B)> DrawPairAsync(CancellationToken cancellationToken)
    {
        var weights = await PairWeightsAsync(cancellationToken);
        if (weights.Models.Count < 2)
            throw new ArenaException(StatusCodes.Status503ServiceUnavailable, $"The arena needs at least two registered models that generate text; {weights.Models.Count} found (evals models add).");
        var pair = PairSelector.Choose(weights.Chances.ToArray(), Random.Shared.NextDouble());
        var models = weights.Models;
        // Which one is shown as A is a coin toss, so position carries no information about the model.
        return Random.Shared.Next(2) == 0 ? (models[pair.A], models[pair.B]) : (models[pair.B], models[pair.A]);
    }

    /// <summary>
    /// The sampler's current weights: every pair of registered generating models with its probability of being drawn
    /// next (<see cref="PairSelector"/> over the latest ratings snapshot), for the draw and for the admin page.
    /// </summary>
    public async Task<PairWeights> PairWeightsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var registered = await db.Models.AsNoTracking().OrderBy(m => m.Name).Select(m => new { m.Name, m.Spec }).ToListAsync(cancellationToken);
        var models = registered.Where(m => CanGenerate(m.Spec)).Select(m => m.Name).ToArray();
        if (models.Length < 2) return new PairWeights(models, [], [], []);

        var latest = await db.ArenaRatingSnapshots.AsNoTracking().OrderByDescending(s => s.Id).FirstOrDefaultAsync(cancellationToken);
        var rows = latest is null ? [] : ArenaRatingsCalculator.Read(latest).Rows.ToDictionary(r => r.Model);
        var ratings = new double[models.Length];
        var votes = new int[models.Length];
        var halfWidths = new double[models.Length];
        for (var i = 0; i < models.Length; i++)
        {
            if (rows.TryGetValue(models[i], out var row))
                (ratings[i], votes[i], halfWidths[i]) = (row.Rating, row.Votes, Math.Max(0, (row.CiHigh - row.CiLow) / 2));
            else
                (ratings[i], votes[i], halfWidths[i]) = (1000, 0, 400); // unrated: an order nobody knows yet
        }
        var chances = PairSelector.Chances(ratings, votes, rows.Count == 0 ? default : halfWidths);
        return new PairWeights(models, chances, ratings, votes);
    }

    private bool CanGenerate(string spec)
    {
        try
        {
            return backends.Describe(ModelSpec.Parse(spec)).Generate;
        }
        catch (ModelSpecException)
        {
            return false;
        }
    }

    private async Task RunAsync(ArenaBattle battle, LiveBattle live)
    {
        var stopping = lifetime.ApplicationStopping;
        await Task.WhenAll(AnswerAsync(battle, live, 'A', battle.ModelA, stopping), AnswerAsync(battle, live, 'B', battle.ModelB, stopping));
        // Keep the live state a little so a page that subscribed late still sees the end, then let it go.
        _ = Task.Delay(TimeSpan.FromMinutes(10), time, stopping).ContinueWith(_ => _live.TryRemove(battle.Id, out var _), TaskScheduler.Default);
    }

    private async Task AnswerAsync(ArenaBattle battle, LiveBattle live, char side, string model, CancellationToken cancellationToken)
    {
        string text;
        string? error = null;
        try
        {
            var backend = await served.GetAsync(model, cancellationToken)
                ?? throw new InvalidOperationException($"model '{model}' is no longer registered");
            var request = new GenerateRequest(new TaskContext("arena", null), $"{battle.Id}:{side}", battle.Prompt, [], new DecodingOptions(MaxTokens: options.MaxTokens));
            var generation = await ServedModels.GenerateAsync(backend, request, piece => live.Append(side, piece), cancellationToken);
            text = generation.Text;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Arena battle {Id}: answer {Side} ({Model}) failed", battle.Id, side, model);
            var (a, b) = live.Text;
            text = side == 'A' ? a : b;
            error = $"answer {side} failed: {e.Message}";
        }
        catch (OperationCanceledException)
        {
            return; // the app is stopping; the battle stays unfinished and takes no vote
        }
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var now = time.GetUtcNow();
            var rows = db.ArenaBattles.Where(x => x.Id == battle.Id);
            if (side == 'A')
                await rows.ExecuteUpdateAsync(s => s.SetProperty(x => x.AnswerA, text).SetProperty(x => x.AnswerAFinishedAt, now).SetProperty(x => x.Error, x => x.Error ?? error));
            else
                await rows.ExecuteUpdateAsync(s => s.SetProperty(x => x.AnswerB, text).SetProperty(x => x.AnswerBFinishedAt, now).SetProperty(x => x.Error, x => x.Error ?? error));
        }
        catch (Exception e)
        {
            logger.LogError(e, "Arena battle {Id}: answer {Side} could not be stored", battle.Id, side);
            error ??= "the answer could not be stored";
            live.Finish(side, text, error);
            return;
        }
        live.Finish(side, text, error);
    }
}

/// <summary>The pair sampler's weights: <see cref="Chances"/> index into <see cref="Models"/> (and their ratings and votes).</summary>
public sealed record PairWeights(IReadOnlyList<string> Models, IReadOnlyList<PairChance> Chances, IReadOnlyList<double> Ratings, IReadOnlyList<int> Votes);
