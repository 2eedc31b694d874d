using Llama.Model;

namespace Llama.Serving;

/// <summary>
/// What one step and one turn of a <see cref="ServingEngine"/> may hold, from its model and options, and the check
/// every request passes before it is queued.
/// </summary>
/// <param name="MaxRows">Most sequences in one step.</param>
/// <param name="MaxTokens">Most positions one sequence may hold: max_seq_len, or the whole KV pool when it is smaller.</param>
internal sealed record ServingLimits(int MaxRows, int MaxTokens, int MaxSeqLen, int VocabSize, int KvBlocks, int KvBlockSize)
{
    public static ServingLimits Of(IPagedModel model, ServingOptions options) => new(
        Math.Min(options.MaxBatchSequences, model.MaxBatchSize),
        // A sequence alone may take the whole pool, but never more than max_seq_len positions.
        (int)Math.Min(model.MaxSeqLen, (long)model.KvCache.BlockCount * model.KvCache.BlockSize),
        model.MaxSeqLen,
        model.Args.VocabSize,
        model.KvCache.BlockCount,
        model.KvCache.BlockSize);

    /// <summary>Most tokens a turn with a prompt of <paramref name="promptLength"/> may generate: its own max_gen_len, within what the sequence can hold.</summary>
    public int MaxGenLen(TurnRequest request, int promptLength) =>
        Math.Min(request.Options.MaxGenLen ?? (MaxSeqLen - 1), MaxTokens - promptLength);

    /// <exception cref="ArgumentException">The request is malformed, asks for echo, or its prompt can never fit.</exception>
    public void Validate(TurnRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.CacheId, nameof(request));
        ArgumentNullException.ThrowIfNull(request.NewTokens, nameof(request));
        ArgumentNullException.ThrowIfNull(request.Options, nameof(request));
        request.Options.Validate();
        if (request.Options.Echo)
        {
            throw new ArgumentException("Serving returns generated tokens only: echo (and the prompt's log-probabilities) is not supported.", nameof(request));
        }

        if (request.TopLogprobs < 0 || request.TopLogprobs > TurnRequest.MaxTopLogprobs || (request.TopLogprobs > 0 && !request.Options.Logprobs))
        {
            throw new ArgumentException(
                $"TopLogprobs must be 0 to {TurnRequest.MaxTopLogprobs}, and above 0 only with Logprobs, got {request.TopLogprobs}.", nameof(request));
        }

        request.Stop?.Validate();
        if (request.ShiftFrom < 0 || request.ShiftCount < 0)
        {
            throw new ArgumentException($"A context shift needs a position and count of 0 or more, got {request.ShiftFrom} and {request.ShiftCount}.", nameof(request));
        }

        if (request.ReuseTokens < 0)
        {
            throw new ArgumentException($"ReuseTokens must be 0 or more, got {request.ReuseTokens}.", nameof(request));
        }

        var length = (long)request.ReuseTokens + request.NewTokens.Count;
        if (length == 0)
        {
            throw new ArgumentException("The prompt is empty: it needs at least one token (e.g. BOS).", nameof(request));
        }

        if (length > MaxTokens)
        {
            throw new ArgumentException(
                $"A prompt of {length} tokens can never fit: a sequence holds at most {MaxTokens} " +
                $"(max_seq_len {MaxSeqLen}, KV pool of {KvBlocks} blocks of {KvBlockSize}).", nameof(request));
        }

        foreach (var token in request.NewTokens)
        {
            if (token < 0 || token >= VocabSize)
            {
                throw new ArgumentException($"Token id {token} is outside the vocabulary of {VocabSize}.", nameof(request));
            }
        }
    }
}
