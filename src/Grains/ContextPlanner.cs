using Llama.Chat;

namespace LlamaOrleans.Grains;

/// <summary>
/// Fits a conversation into its model's context, leaving <see cref="Reserve"/> tokens for the reply. While the
/// prompt fits it only grows, so each turn reuses the cached prompt of the last. When it no longer fits, the oldest
/// user/assistant pairs leave the model's view with hysteresis: down to the low-water mark (a fraction of the
/// context, <see cref="ConversationOptions.ShrinkToFraction"/>), not just enough to fit, so the shrink that changes
/// the prompt's start (and recomputes it) comes once every several turns rather than on every turn.
/// </summary>
public sealed class ContextPlanner
{
    private readonly ChatFormat _format;

    /// <param name="limit">Tokens of the model's context the conversation may use.</param>
    /// <param name="reserve">Tokens kept for the reply (1 to <paramref name="limit"/> - 1).</param>
    /// <param name="shrinkTo">The low-water mark as a fraction of <paramref name="limit"/>, in (0, 1].</param>
    public ContextPlanner(ChatFormat format, int limit, int reserve, double shrinkTo)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(reserve, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(reserve, limit);
        if (!(shrinkTo > 0 && shrinkTo <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(shrinkTo), shrinkTo, "The low-water mark must be a fraction in (0, 1].");
        }

        _format = format;
        Limit = limit;
        Reserve = reserve;
        LowWater = Math.Min((int)(limit * shrinkTo), limit - reserve);
    }

    public int Limit { get; }

    public int Reserve { get; }

    /// <summary>Most prompt tokens after a shrink: the low-water mark, or less when the reply needs more room.</summary>
    public int LowWater { get; }

    /// <summary>
    /// The prompt for <paramref name="content"/> after the in-context entries of <paramref name="transcript"/> (which is
    /// not changed: the plan has a copy). <see cref="ContextPolicy.Trim"/> and <see cref="ContextPolicy.Summarize"/>
    /// shrink a prompt that does not fit to <see cref="LowWater"/>, dropping the oldest pairs (for Summarize they are
    /// <see cref="ContextPlan.Dropped"/>: fold them into the summary and plan again); when no pair is left to drop, the
    /// summary goes.
    /// </summary>
    /// <exception cref="ConversationException">
    /// <see cref="ConversationErrorCode.MessageTooLong"/>: the message cannot fit even alone;
    /// <see cref="ConversationErrorCode.ContextFull"/>: it does not fit and the policy is <see cref="ContextPolicy.Fail"/>.
    /// </exception>
    public ContextPlan Plan(string? systemPrompt, string? summary, IReadOnlyList<TranscriptEntry> transcript, string content, ContextPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        ArgumentNullException.ThrowIfNull(content);
        var alone = Encode(systemPrompt, summary, [], content).Ids.Count;
        if (alone + Reserve > Limit)
        {
            throw new ConversationException(ConversationErrorCode.MessageTooLong,
                $"The message does not fit the context: with the system prompt it takes {alone} tokens, and the model's " +
                $"{Limit}-token context keeps {Reserve} for the reply, leaving {Limit - Reserve}.");
        }

        var entries = transcript.ToList();
        var prompt = Encode(systemPrompt, summary, entries, content);
        if (prompt.Ids.Count + Reserve <= Limit)
        {
            return new ContextPlan(prompt, entries, summary, 0, []);
        }

        if (policy == ContextPolicy.Fail)
        {
            throw new ConversationException(ConversationErrorCode.ContextFull,
                $"The conversation is full: its prompt takes {prompt.Ids.Count} tokens and the reply {Reserve} more, " +
                $"beyond the model's {Limit}-token context. Reset it, or configure the Trim or Summarize policy.");
        }

        var trims = 0;
        var dropped = new List<TranscriptEntry>();
        while (prompt.Ids.Count > LowWater)
        {
            var oldest = ContextWindow.OldestPair(entries);
            if (oldest < 0)
            {
                if (summary is null || prompt.Ids.Count + Reserve <= Limit)
                {
                    // Nothing older to drop: what is left fits, above the low-water mark or not.
                    break;
                }

                // Only a summary can be left to shed.
                summary = null;
            }
            else
            {
                dropped.AddRange(entries.Skip(oldest).Take(2));
                entries[oldest] = entries[oldest] with { InContext = false };
                entries[oldest + 1] = entries[oldest + 1] with { InContext = false };
                trims++;
            }

            prompt = Encode(systemPrompt, summary, entries, content);
        }

        return new ContextPlan(prompt, entries, summary, trims, policy == ContextPolicy.Summarize ? dropped : []);
    }

    private ChatPrompt Encode(string? systemPrompt, string? summary, IEnumerable<TranscriptEntry> entries, string content) =>
        _format.Encode(ContextWindow.Dialog(ContextWindow.SystemText(systemPrompt, summary), entries, content));
}
