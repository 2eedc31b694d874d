using Llama.Chat;

namespace LlamaOrleans.Grains;

/// <summary>
/// A turn's prompt as <see cref="ContextPlanner"/> fitted it: the in-context transcript it was built from, the summary
/// it carries, how many old pairs it dropped this turn, and those still to be folded into the summary (Summarize).
/// </summary>
public sealed record ContextPlan(ChatPrompt Prompt, List<TranscriptEntry> Transcript, string? Summary, int Trims, IReadOnlyList<TranscriptEntry> Dropped)
{
    /// <summary>Whether the context shrank this turn: the prompt no longer starts as the last one did.</summary>
    public bool Shrunk => Trims > 0;

    /// <summary>Whether the summary changed this turn (trimmed turns were folded into it, or it was shed).</summary>
    public bool Summarized { get; init; }
}
