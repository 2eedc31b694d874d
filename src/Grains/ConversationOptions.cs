using System.Globalization;

namespace LlamaOrleans.Grains;

/// <summary>
/// The "Llama:Conversations" configuration section: how conversations use a model's context when their settings
/// do not say.
/// </summary>
public sealed class ConversationOptions
{
    /// <summary>
    /// Most tokens of a reply when the conversation's <see cref="ConversationSettings.MaxReplyTokens"/> is unset (and
    /// the turn gives none), at most an eighth of the model's context: a chat reply, not a run until the context is full.
    /// </summary>
    public int DefaultMaxReplyTokens { get; set; } = 256;

    /// <summary>
    /// When a conversation outgrows its context and must shrink (Trim or Summarize), it drops old turns until its
    /// prompt takes at most this fraction of the context, not just enough to fit: the following turns then extend the
    /// same prompt, reusing the KV cache, until the next shrink. 1 drops just enough each turn (every turn recomputes).
    /// </summary>
    public double ShrinkToFraction { get; set; } = 0.5;

    /// <summary>The configuration problems, one line each; empty when the options are usable.</summary>
    public IEnumerable<string> Problems(string section)
    {
        if (DefaultMaxReplyTokens < 1)
        {
            yield return $"{section}:DefaultMaxReplyTokens must be at least 1, got {DefaultMaxReplyTokens}.";
        }

        if (!(ShrinkToFraction > 0 && ShrinkToFraction <= 1))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{section}:ShrinkToFraction must be in (0, 1], got {ShrinkToFraction}.");
        }
    }
}
