using Llama.Chat;

namespace LlamaOrleans.Grains;

/// <summary>
/// Fits a conversation into its model's context, leaving <see cref="MaxReplyTokens"/> tokens for the reply. While the
/// prompt fits it only grows, so each turn reuses the cached prompt of the last. When it no longer fits, the oldest
/// user/assistant pairs leave the model's view with hysteresis: down to the low-water mark (a fraction of the
/// context, <see cref="ConversationOptions.ShrinkToFraction"/>), not just enough to fit, so the shrink that changes
/// the prompt's start (and recomputes it) comes once every several turns rather than on every turn. All of a turn's
/// decisions about its prompt are made here, without a model: the reply cap, fitting, trimming, when to summarize and
/// what the summary request holds, and whether the turn continues from the last turn's tokens.
/// </summary>
public sealed class ContextPlanner
{
    /// <summary>Most tokens of a summary of trimmed turns.</summary>
    public const int SummaryTokens = 64;

    private const string SummaryInstruction = "You summarize conversations briefly, keeping names and facts.";

    private readonly ChatFormat _format;

    /// <param name="limit">Tokens of the model's context the conversation may use.</param>
    /// <param name="maxReplyTokens">Tokens kept for the reply (1 to <paramref name="limit"/> - 1).</param>
    /// <param name="shrinkTo">The low-water mark as a fraction of <paramref name="limit"/>, in (0, 1].</param>
    public ContextPlanner(ChatFormat format, int limit, int maxReplyTokens, double shrinkTo)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReplyTokens, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(maxReplyTokens, limit);
        if (!(shrinkTo > 0 && shrinkTo <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(shrinkTo), shrinkTo, "The low-water mark must be a fraction in (0, 1].");
        }

        _format = format;
        Limit = limit;
        MaxReplyTokens = maxReplyTokens;
        LowWater = Math.Min((int)(limit * shrinkTo), limit - maxReplyTokens);
    }

    /// <summary>Folds trimmed turns (and the summary before them) into a new summary.</summary>
    public delegate Task<string> Summarize(string? previous, IReadOnlyList<TranscriptEntry> dropped, CancellationToken cancellationToken);

    public int Limit { get; }

    /// <summary>Tokens each turn keeps free for its reply, and the most it may generate.</summary>
    public int MaxReplyTokens { get; }

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
    /// <summary>
    /// A turn's reply cap: <paramref name="requested"/> (the turn's or the settings'), else <paramref name="defaultCap"/>
    /// at most an eighth of the context; never the whole context.
    /// </summary>
    public static int ResolveMaxReplyTokens(int? requested, int limit, int defaultCap) =>
        Math.Min(requested ?? Math.Min(defaultCap, Math.Max(1, limit / 8)), limit - 1);

    /// <summary>
    /// The whole turn's plan: <see cref="Plan"/>, folding dropped pairs into the summary with
    /// <paramref name="summarize"/> and planning again until none are left.
    /// </summary>
    public async Task<ContextPlan> PlanTurnAsync(
        string? systemPrompt, string? summary, IReadOnlyList<TranscriptEntry> transcript, string content, ContextPolicy policy,
        Summarize summarize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(summarize);
        var plan = Plan(systemPrompt, summary, transcript, content, policy);
        var trims = plan.Trims;
        while (plan.Dropped.Count > 0)
        {
            var folded = await summarize(plan.Summary, plan.Dropped, cancellationToken);
            plan = Plan(systemPrompt, folded, plan.Transcript, content, policy);
            trims += plan.Trims;
        }

        return plan with { Trims = trims, Summarized = plan.Summary != summary };
    }

    /// <summary>
    /// The prompt that continues from <paramref name="dialogTokens"/> (the last prompt and its reply's tokens as
    /// generated) when nothing but the new message has changed the dialog in context and it fits; otherwise the
    /// plan's own (Meta's) prompt.
    /// </summary>
    public ChatPrompt Continue(ContextPlan plan, string? previousSummary, IReadOnlyList<int>? dialogTokens, string content)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (dialogTokens is null || plan.Trims > 0 || plan.Summary != previousSummary)
        {
            return plan.Prompt;
        }

        var continued = _format.Continue(dialogTokens, content);
        return continued.Ids.Count <= Limit - MaxReplyTokens ? continued : plan.Prompt;
    }

    /// <summary>The most tokens the reply to a prompt of <paramref name="promptTokens"/> may have: the cap, within the context.</summary>
    public int ReplyTokensFor(int promptTokens) => Math.Min(MaxReplyTokens, Limit - promptTokens);

    /// <summary>
    /// The request that folds <paramref name="dropped"/> turns (and the <paramref name="previous"/> summary) into a
    /// short summary, leaving room for <see cref="SummaryTokens"/>: the oldest lines go when it does not fit.
    /// </summary>
    public ChatPrompt SummaryPrompt(string? previous, IReadOnlyList<TranscriptEntry> dropped)
    {
        ArgumentNullException.ThrowIfNull(dropped);
        var lines = dropped.Select(e => $"{(e.Role == TranscriptRole.User ? "User" : "Assistant")}: {e.Content}").ToList();
        if (!string.IsNullOrEmpty(previous))
        {
            lines.Insert(0, $"Earlier: {previous}");
        }

        ChatPrompt prompt;
        do
        {
            prompt = _format.Encode([new Message(Role.System, SummaryInstruction), new Message(Role.User, "Summarize this conversation:\n" + string.Join('\n', lines))]);
            if (prompt.Ids.Count + SummaryTokens > Limit && lines.Count > 1)
            {
                lines.RemoveAt(0);
            }
        }
        while (prompt.Ids.Count + SummaryTokens > Limit && lines.Count > 1);

        return prompt;
    }

    /// <summary>The most tokens a summary of <paramref name="prompt"/> may have.</summary>
    public int SummaryTokensFor(ChatPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Math.Min(SummaryTokens, Limit - prompt.Ids.Count);
    }

    public ContextPlan Plan(string? systemPrompt, string? summary, IReadOnlyList<TranscriptEntry> transcript, string content, ContextPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(transcript);
        ArgumentNullException.ThrowIfNull(content);
        var alone = Encode(systemPrompt, summary, [], content).Ids.Count;
        if (alone + MaxReplyTokens > Limit)
        {
            throw new ConversationException(ConversationErrorCode.MessageTooLong,
                $"The message does not fit the context: with the system prompt it takes {alone} tokens, and the model's " +
                $"{Limit}-token context keeps {MaxReplyTokens} for the reply, leaving {Limit - MaxReplyTokens}.");
        }

        var entries = transcript.ToList();
        var prompt = Encode(systemPrompt, summary, entries, content);
        if (prompt.Ids.Count + MaxReplyTokens <= Limit)
        {
            return new ContextPlan(prompt, entries, summary, 0, []);
        }

        if (policy == ContextPolicy.Fail)
        {
            throw new ConversationException(ConversationErrorCode.ContextFull,
                $"The conversation is full: its prompt takes {prompt.Ids.Count} tokens and the reply {MaxReplyTokens} more, " +
                $"beyond the model's {Limit}-token context. Reset it, or configure the Trim or Summarize policy.");
        }

        var trims = 0;
        var dropped = new List<TranscriptEntry>();
        while (prompt.Ids.Count > LowWater)
        {
            var oldest = ContextWindow.OldestPair(entries);
            if (oldest < 0)
            {
                if (summary is null || prompt.Ids.Count + MaxReplyTokens <= Limit)
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
