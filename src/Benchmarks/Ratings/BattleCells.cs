using System.Runtime.CompilerServices;

namespace Evals.Benchmarks.Ratings;

/// <summary>
/// Battles indexed for rating: models numbered by first appearance, each unordered pair (i &lt; j) numbered, and each
/// battle mapped to one cell = pair × {i won, j won, tie}. A Bradley–Terry fit needs only the cell counts, so a bootstrap
/// round only redraws counts. Battles of a model against itself are dropped.
/// </summary>
internal sealed class BattleCells
{
    public const int CellsPerPair = 3;

    public required string[] Models { get; init; }
    public required int[] PairI { get; init; }
    public required int[] PairJ { get; init; }
    public required int[] CellOfBattle { get; init; }
    public required int[] Counts { get; init; }

    public int PairCount => PairI.Length;
    public int CellCount => PairI.Length * CellsPerPair;
    public int BattleCount => CellOfBattle.Length;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // one pass over every battle: see BattleFile.Read
    public static BattleCells From(IReadOnlyList<Battle> battles)
    {
        ArgumentNullException.ThrowIfNull(battles);
        var slot = new Dictionary<string, int>(StringComparer.Ordinal);
        var models = new List<string>();
        var pairSlot = new Dictionary<long, int>();
        var pairI = new List<int>();
        var pairJ = new List<int>();
        var cells = new List<int>(battles.Count);
        int Model(string name)
        {
            if (slot.TryGetValue(name, out var i)) return i;
            slot[name] = models.Count;
            models.Add(name);
            return models.Count - 1;
        }

        foreach (var battle in battles)
        {
            if (battle.ModelA == battle.ModelB) continue;
            var a = Model(battle.ModelA);
            var b = Model(battle.ModelB);
            var (i, j) = a < b ? (a, b) : (b, a);
            var key = ((long)i << 32) | (uint)j;
            if (!pairSlot.TryGetValue(key, out var pair))
            {
                pair = pairI.Count;
                pairSlot[key] = pair;
                pairI.Add(i);
                pairJ.Add(j);
            }
            var outcome = battle.Winner switch
            {
                BattleWinner.ModelA => a == i ? 0 : 1,
                BattleWinner.ModelB => b == i ? 0 : 1,
                _ => 2,
            };
            cells.Add(pair * CellsPerPair + outcome);
        }

        var counts = new int[pairI.Count * CellsPerPair];
        foreach (var cell in cells) counts[cell]++;
        return new BattleCells
        {
            Models = models.ToArray(),
            PairI = pairI.ToArray(),
            PairJ = pairJ.ToArray(),
            CellOfBattle = cells.ToArray(),
            Counts = counts,
        };
    }

    /// <summary>FastChat's weights: i over j = 2 × (i's wins) + ties, j over i = 2 × (j's wins) + ties.</summary>
    public void Weights(int[] counts, double[] wI, double[] wJ)
    {
        for (var k = 0; k < PairI.Length; k++)
        {
            var ties = counts[k * CellsPerPair + 2];
            wI[k] = 2.0 * counts[k * CellsPerPair] + ties;
            wJ[k] = 2.0 * counts[k * CellsPerPair + 1] + ties;
        }
    }

    /// <summary>Battles each model played.</summary>
    public int[] Votes()
    {
        var votes = new int[Models.Length];
        for (var k = 0; k < PairI.Length; k++)
        {
            var n = Counts[k * CellsPerPair] + Counts[k * CellsPerPair + 1] + Counts[k * CellsPerPair + 2];
            votes[PairI[k]] += n;
            votes[PairJ[k]] += n;
        }
        return votes;
    }
}
