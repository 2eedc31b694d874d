using Llama.Tokenization;

namespace Llama.Serving;

/// <summary>
/// Text that ends a turn (OpenAI's <c>stop</c>): once the reply, decoded with <see cref="Tokenizer"/> as it is
/// generated, contains one of <see cref="Sequences"/>, the turn stops generating there and frees its place in the batch.
/// The reply keeps the tokens up to the one that completed the sequence; cutting the text at it is the caller's.
/// </summary>
public sealed record StopSequences(ITokenizer Tokenizer, IReadOnlyList<string> Sequences)
{
    /// <summary>Checks the sequences are usable: at least one, none empty.</summary>
    /// <exception cref="ArgumentException">No sequence, or an empty one.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tokenizer);
        ArgumentNullException.ThrowIfNull(Sequences);
        if (Sequences.Count == 0 || Sequences.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Stop sequences need at least one sequence, and none may be empty.", nameof(Sequences));
        }
    }
}
