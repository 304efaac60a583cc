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
/// <see cref="LiveBattle"/>. Each answer is stored with its finish time as soon as it ends; votes need both. The visitor
/// may continue the battle with follow-up turns (<see cref="ContinueAsync"/>) before voting.
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
        prompt = CheckPrompt(prompt);
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
        _ = Task.Run(() => RunTurnAsync(battle.Id, 1, battle.ModelA, battle.ModelB, [new ChatTurn(Conversation.User, prompt)], [new ChatTurn(Conversation.User, prompt)], live));
        return (battle, live);
    }

    /// <summary>The prompt trimmed, or a 400 naming <c>prompt</c>: the same rules for a first prompt and a follow-up.</summary>
    private string CheckPrompt(string? prompt)
    {
        prompt = prompt?.Trim();
        if (string.IsNullOrEmpty(prompt)) throw new ArenaException(StatusCodes.Status400BadRequest, "'prompt' is required: the question both models answer.", "prompt");
        if (Evals.Storage.Text.StoredText.Problem(prompt) is { } problem)
            throw new ArenaException(StatusCodes.Status400BadRequest, $"'prompt' {problem}.", "prompt");
        if (prompt.Length > options.MaxPromptChars)
            throw new ArenaException(StatusCodes.Status400BadRequest, $"'prompt' is {prompt.Length} characters; at most {options.MaxPromptChars} are allowed.", "prompt");
        return prompt;
    }

    /// <summary>
    /// A follow-up turn: the visitor's next prompt, answered by both models from the whole conversation so far (each model
    /// sees its own earlier answers). Only the visitor who started the battle may continue it, only once every answer so
    /// far has finished without error, only before the vote and within <see cref="ArenaOptions.MaxTurns"/>; it is charged
    /// as a battle (<see cref="ArenaLimits.TryStartBattleAsync"/>: two answers). The turn is inserted with the battle row
    /// locked, as a vote is, so a vote and a follow-up cannot both win a race.
    /// </summary>
    /// <returns>The new turn's number (2 for the first follow-up).</returns>
    public async Task<int> ContinueAsync(Guid battleId, string? visitorHash, System.Net.IPAddress? ip, string? prompt, CancellationToken cancellationToken = default)
    {
        if (visitorHash is null)
            throw new ArenaException(StatusCodes.Status403Forbidden, $"No visitor cookie: only the session that started the battle (its '{VisitorCookie.Name}' cookie) may continue it.");
        prompt = CheckPrompt(prompt);
        ArenaBattle battle;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            battle = await LoadAsync(db, battleId, cancellationToken) ?? throw new ArenaException(StatusCodes.Status404NotFound, $"No battle {battleId}.");
        CheckCanContinue(battle, visitorHash);
        var turns = battle.Turns();
        if (await limits.TryStartBattleAsync(visitorHash, ip, ArenaLimits.ConversationKeyText([.. turns.Select(t => t.Prompt), prompt]), cancellationToken) is { } refusal)
        {
            logger.LogInformation("Arena follow-up on {Battle} from {Ip} refused by {Limit}", battleId, ip, refusal.Limit);
            throw new ArenaException(StatusCodes.Status429TooManyRequests, refusal.Message, limit: refusal);
        }

        var number = turns.Count + 1;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await LockAsync(db, battleId, cancellationToken);
            // Read again under the lock: a vote or another follow-up may have come in since.
            var locked = await LoadAsync(db, battleId, cancellationToken) ?? throw new ArenaException(StatusCodes.Status404NotFound, $"No battle {battleId}.");
            CheckCanContinue(locked, visitorHash);
            if (locked.FollowUps.Count + 1 != turns.Count)
                throw new ArenaException(StatusCodes.Status409Conflict, "Another follow-up was sent to this battle at the same time; reload it and ask again.");
            db.ArenaFollowUps.Add(new ArenaFollowUp { BattleId = battleId, Turn = number, Prompt = prompt, CreatedAt = time.GetUtcNow() });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var live = _live.GetOrAdd(battleId, id => new LiveBattle(id));
        live.StartTurn(number);
        logger.LogInformation("Arena battle {Id}: turn {Turn} started from {Ip}", battleId, number, ip);
        _ = Task.Run(() => RunTurnAsync(battleId, number, battle.ModelA, battle.ModelB,
            AskedOf(turns, 'A', prompt), AskedOf(turns, 'B', prompt), live));
        return number;
    }

    private void CheckCanContinue(ArenaBattle battle, string visitorHash)
    {
        if (battle.VisitorHash != visitorHash)
            throw new ArenaException(StatusCodes.Status403Forbidden, "This battle was shown to another session; only that session may continue it.");
        if (battle.Vote is not null)
            throw new ArenaException(StatusCodes.Status409Conflict, "This battle already has its vote: the vote ends the conversation. Start a new battle to ask more.");
        if (battle.Error is not null) throw new ArenaException(StatusCodes.Status409Conflict, $"This battle cannot continue: {battle.Error}.");
        var turns = battle.Turns();
        if (!turns[^1].Finished)
            throw new ArenaException(StatusCodes.Status409Conflict, "The answers are still being written; send a follow-up once both have finished.");
        if (turns.Count >= options.MaxTurns)
            throw new ArenaException(StatusCodes.Status409Conflict, $"This battle has its {options.MaxTurns} turns, the most a battle may have (Arena:MaxTurns); vote on it, or start a new battle.");
    }

    /// <summary>The battle with its vote and follow-ups, or null.</summary>
    public static Task<ArenaBattle?> LoadAsync(EvalsDbContext db, Guid battleId, CancellationToken cancellationToken) =>
        db.ArenaBattles.AsNoTracking().Include(b => b.Vote).Include(b => b.FollowUps).AsSplitQuery().FirstOrDefaultAsync(b => b.Id == battleId, cancellationToken);

    /// <summary>Locks the battle row until the transaction ends: votes and follow-ups take it, so they happen one after the other.</summary>
    public static Task LockAsync(EvalsDbContext db, Guid battleId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT 1 FROM arena_battles WHERE id = {battleId} FOR UPDATE", cancellationToken);

    /// <summary>What one side's model is asked: every earlier turn with that side's own answers, then the new prompt.</summary>
    private static IReadOnlyList<ChatTurn> AskedOf(IReadOnlyList<ArenaTurn> turns, char side, string prompt) =>
    [
        .. turns.SelectMany(t => new[] { new ChatTurn(Conversation.User, t.Prompt), new ChatTurn(Conversation.Assistant, side == 'A' ? t.AnswerA : t.AnswerB) }),
        new ChatTurn(Conversation.User, prompt),
    ];

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

    private async Task RunTurnAsync(Guid battleId, int turn, string modelA, string modelB, IReadOnlyList<ChatTurn> conversationA,
        IReadOnlyList<ChatTurn> conversationB, LiveBattle live)
    {
        var stopping = lifetime.ApplicationStopping;
        await Task.WhenAll(AnswerAsync(battleId, turn, live, 'A', modelA, conversationA, stopping), AnswerAsync(battleId, turn, live, 'B', modelB, conversationB, stopping));
        // Keep the live state a little so a page that subscribed late still sees the end, then let it go unless a
        // follow-up has started streaming into it since.
        _ = Task.Delay(TimeSpan.FromMinutes(10), time, stopping).ContinueWith(_ =>
        {
            if (live.Turn == turn) _live.TryRemove(KeyValuePair.Create(battleId, live));
        }, TaskScheduler.Default);
    }

    private async Task AnswerAsync(Guid battleId, int turn, LiveBattle live, char side, string model, IReadOnlyList<ChatTurn> conversation, CancellationToken cancellationToken)
    {
        string text;
        string? error = null;
        try
        {
            var backend = await served.GetAsync(model, cancellationToken)
                ?? throw new InvalidOperationException($"model '{model}' is no longer registered");
            var decoding = new DecodingOptions(MaxTokens: options.MaxTokens);
            // A first turn is asked exactly as before follow-ups existed (the prompt alone), so cached answers stay valid;
            // a later one passes the whole conversation, with its stored form as the prompt, as /v1 does.
            var request = turn == 1
                ? new GenerateRequest(new TaskContext("arena", null), $"{battleId}:{side}", conversation[0].Content, [], decoding)
                : new GenerateRequest(new TaskContext("arena", null), $"{battleId}:{turn}:{side}", Conversation.ToStored(conversation), [], decoding, Messages: conversation);
            var generation = await ServedModels.GenerateAsync(backend, request, piece => live.Append(side, piece), cancellationToken);
            text = generation.Text;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Arena battle {Id}: turn {Turn} answer {Side} ({Model}) failed", battleId, turn, side, model);
            var (a, b) = live.Text;
            text = side == 'A' ? a : b;
            error = turn == 1 ? $"answer {side} failed: {e.Message}" : $"answer {side} to turn {turn} failed: {e.Message}";
        }
        catch (OperationCanceledException)
        {
            return; // the app is stopping; the battle stays unfinished and takes no vote
        }
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var now = time.GetUtcNow();
            if (error is not null)
                await db.ArenaBattles.Where(x => x.Id == battleId).ExecuteUpdateAsync(s => s.SetProperty(x => x.Error, x => x.Error ?? error));
            if (turn == 1)
            {
                var rows = db.ArenaBattles.Where(x => x.Id == battleId);
                if (side == 'A')
                    await rows.ExecuteUpdateAsync(s => s.SetProperty(x => x.AnswerA, text).SetProperty(x => x.AnswerAFinishedAt, now));
                else
                    await rows.ExecuteUpdateAsync(s => s.SetProperty(x => x.AnswerB, text).SetProperty(x => x.AnswerBFinishedAt, now));
            }
            else
            {
                var rows = db.ArenaFollowUps.Where(x => x.BattleId == battleId && x.Turn == turn);
                if (side == 'A')
                    await rows.ExecuteUpdateAsync(s => s.SetProperty(x => x.AnswerA, text).SetProperty(x => x.AnswerAFinishedAt, now));
                else
                    await rows.ExecuteUpdateAsync(s => s.SetProperty(x => x.AnswerB, text).SetProperty(x => x.AnswerBFinishedAt, now));
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Arena battle {Id}: turn {Turn} answer {Side} could not be stored", battleId, turn, side);
            error ??= "the answer could not be stored";
            live.Finish(side, text, error);
            return;
        }
        live.Finish(side, text, error);
    }
}

/// <summary>The pair sampler's weights: <see cref="Chances"/> index into <see cref="Models"/> (and their ratings and votes).</summary>
public sealed record PairWeights(IReadOnlyList<string> Models, IReadOnlyList<PairChance> Chances, IReadOnlyList<double> Ratings, IReadOnlyList<int> Votes);
