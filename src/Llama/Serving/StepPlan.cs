namespace Llama.Serving;

/// <summary>What one forward step of a <see cref="ServingEngine"/> computes, in batch order; each turn's blocks are reserved.</summary>
internal sealed class StepPlan(IReadOnlyList<ScheduledTurn> turns)
{
    public IReadOnlyList<ScheduledTurn> Turns { get; } = turns;

    public int Count => Turns.Count;

    public bool IsEmpty => Turns.Count == 0;
}
