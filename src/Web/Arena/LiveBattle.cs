using System.Text;

namespace Evals.Web.Arena;

/// <summary>
/// The answers of a battle's latest turn while they stream, held by the node that runs it. Pages subscribe to
/// <see cref="Changed"/>; the database row is the truth once an answer has finished. A follow-up turn starts afresh
/// (<see cref="StartTurn"/>).
/// </summary>
public sealed class LiveBattle(Guid id)
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _a = new();
    private readonly StringBuilder _b = new();

    public Guid Id { get; } = id;
    /// <summary>The turn streaming now: 1 for the first prompt.</summary>
    public int Turn { get; private set; } = 1;
    public bool FinishedA { get; private set; }
    public bool FinishedB { get; private set; }
    public string? Error { get; private set; }
    public bool Finished => FinishedA && FinishedB;

    public event Action? Changed;

    public (string A, string B) Text
    {
        get
        {
            lock (_gate) return (_a.ToString(), _b.ToString());
        }
    }

    /// <summary>Clears the texts for the answers of turn <paramref name="turn"/>, which have just been asked for.</summary>
    public void StartTurn(int turn)
    {
        lock (_gate)
        {
            Turn = turn;
            _a.Clear();
            _b.Clear();
            FinishedA = FinishedB = false;
        }
        Changed?.Invoke();
    }

    public void Append(char side, string piece)
    {
        lock (_gate) (side == 'A' ? _a : _b).Append(piece);
        Changed?.Invoke();
    }

    /// <summary>Called after the answer is stored: the stored text replaces the streamed one.</summary>
    public void Finish(char side, string text, string? error)
    {
        lock (_gate)
        {
            var target = side == 'A' ? _a : _b;
            target.Clear().Append(text);
            if (side == 'A') FinishedA = true; else FinishedB = true;
            Error ??= error;
        }
        Changed?.Invoke();
    }
}
