using Llama.Model;

namespace Llama.Serving;

/// <summary>
/// A turn in a <see cref="StepPlan"/>: the step computes its next <see cref="Count"/> tokens, prompt tokens
/// (<see cref="Prefill"/>) or its newest generated one.
/// </summary>
internal readonly record struct ScheduledTurn(TurnState Turn, int Count, bool Prefill)
{
    /// <summary>The model's input for the turn: its block table, the position it continues from and the tokens to compute.</summary>
    public SequenceInput Input()
    {
        var cached = Turn.Entry!.Tokens.Count;
        return new SequenceInput(Turn.Entry.Blocks.ToArray(), cached, Turn.Tokens.GetRange(cached, Count));
    }
}
