using Llama.Model;

namespace Llama.Generation;

/// <summary>
/// Meta's <c>generate</c> over token ids: prefill every prompt, then one batched decode step per new token
/// until each sequence stops or has generated max_gen_len tokens. Each sequence keeps its own positions, so a batch gives
/// every prompt exactly the tokens it would get alone.
/// </summary>
public sealed class TokenGenerator(Transformer model, IReadOnlySet<int> stopTokens)
{
    public Transformer Model { get; } = model;

    /// <summary>Tokens that end a sequence (EOS; llama2.c models also BOS, which they emit between stories).</summary>
    public IReadOnlySet<int> StopTokens { get; } = stopTokens;

    /// <param name="prompts">Prompt token ids, one list per sequence.</param>
    /// <param name="options">Sampling and length settings.</param>
    /// <param name="onToken">Called with (sequence index, token) for each generated token, stop tokens included.</param>
    /// <param name="cancellationToken">Checked between decode steps.</param>
    public IReadOnlyList<GeneratedSequence> Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts,
        GenerationOptions options,
        Action<int, int>? onToken = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        return Generate(prompts.Select((p, i) => new SequenceRequest(i, p, 0)).ToArray(), options, onToken, cancellationToken);
    }

    /// <summary>
    /// Generates for sequences whose cache slots may already hold the first <see cref="SequenceRequest.CachedTokens"/>
    /// tokens of their prompts: only the rest is prefilled. <paramref name="onToken"/> gets the request's index.
    /// </summary>
    public IReadOnlyList<GeneratedSequence> Generate(
        IReadOnlyList<SequenceRequest> requests,
        GenerationOptions options,
        Action<int, int>? onToken = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Validate(requests, options);

        var maxGenLen = options.MaxGenLen ?? (Model.MaxSeqLen - 1);
        var seed = options.Seed ?? (ulong)Random.Shared.NextInt64();
        var sequences = requests.Select((r, i) => new SequenceState(i, Model.SlotBlocks(r.Slot), r.Tokens,
            Math.Min(maxGenLen, Model.MaxSeqLen - r.Tokens.Count), new SeededRandom(seed + (ulong)i))).ToArray();

        var prefill = Model.Forward(
            sequences.Select((s, i) => new SequenceInput(s.Blocks, requests[i].CachedTokens, requests[i].Tokens.Skip(requests[i].CachedTokens).ToArray())).ToArray(),
            options.Logprobs);
        var vocab = Model.Args.VocabSize;
        var lastLogits = new float[sequences.Length][];
        for (var i = 0; i < sequences.Length; i++)
        {
            var s = sequences[i];
            if (options.Logprobs)
            {
                // Position p's log-probability comes from the logits at p - 1; position 0 has none (Meta leaves 0).
                s.Logprobs.Add(0f);
                for (var p = 1; p < s.PromptTokens; p++)
                {
                    s.Logprobs.Add(Sampler.LogProbability(prefill[i].AsSpan((p - 1) * vocab, vocab), s.Tokens[p]));
                }
            }

            lastLogits[i] = options.Logprobs ? prefill[i][((s.PromptTokens - 1) * vocab)..] : prefill[i];
        }

        var active = sequences.Where(s => s.MaxGenLen > 0).ToList();
        foreach (var s in sequences.Where(s => s.MaxGenLen <= 0))
        {
            s.Finish = FinishReason.Length;
        }

        while (active.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var s in active)
            {
                var logits = lastLogits[s.Index];
                var token = Sampler.Sample(logits, options.Temperature, options.TopP, s.Random);
                s.Tokens.Add(token);
                if (options.Logprobs)
                {
                    s.Logprobs.Add(Sampler.LogProbability(logits, token));
                }

                onToken?.Invoke(s.Index, token);
                if (StopTokens.Contains(token))
                {
                    s.Finish = FinishReason.Stop;
                }
                else if (s.Tokens.Count - s.PromptTokens >= s.MaxGenLen)
                {
                    s.Finish = FinishReason.Length;
                }
            }

            active.RemoveAll(s => s.Finish is not null);
            if (active.Count == 0)
            {
                break;
            }

            var step = Model.Forward(active.Select(s => new SequenceInput(s.Blocks, s.Tokens.Count - 1, [s.Tokens[^1]])).ToArray());
            for (var i = 0; i < active.Count; i++)
            {
                lastLogits[active[i].Index] = step[i];
            }
        }

        return sequences.Select(s => s.Result(options.Echo)).ToArray();
    }

    private void Validate(IReadOnlyList<SequenceRequest> requests, GenerationOptions options)
    {
        if (requests.Count == 0)
        {
            throw new ArgumentException("No prompts given.", nameof(requests));
        }

        if (requests.Count > Model.MaxBatchSize)
        {
            throw new ArgumentException(
                $"Batch of {requests.Count} prompts exceeds max_batch_size {Model.MaxBatchSize}.", nameof(requests));
        }

        foreach (var (_, prompt, cached) in requests)
        {
            if (cached < 0 || cached >= Math.Max(1, prompt.Count))
            {
                throw new ArgumentException(
                    $"{cached} cached tokens leave nothing to compute of a {prompt.Count}-token prompt.", nameof(requests));
            }

            if (cached > 0 && options.Logprobs)
            {
                throw new ArgumentException("Prompt log-probabilities need the whole prompt computed, not a cached prefix.", nameof(requests));
            }

            if (prompt.Count == 0)
            {
                throw new ArgumentException("A prompt is empty: it needs at least one token (e.g. BOS).", nameof(requests));
            }

            if (prompt.Count > Model.MaxSeqLen)
            {
                throw new ArgumentException(
                    $"Prompt of {prompt.Count} tokens exceeds max_seq_len {Model.MaxSeqLen}.", nameof(requests));
            }
        }
    }

    private sealed class SequenceState(int index, IReadOnlyList<int> blocks, IReadOnlyList<int> prompt, int maxGenLen, SeededRandom random)
    {
        public int Index { get; } = index;

        public IReadOnlyList<int> Blocks { get; } = blocks;

        public int PromptTokens { get; } = prompt.Count;

        public int MaxGenLen { get; } = maxGenLen;

        public SeededRandom Random { get; } = random;

        public List<int> Tokens { get; } = [.. prompt];

        public List<float> Logprobs { get; } = [];

        public FinishReason? Finish { get; set; }

        public GeneratedSequence Result(bool echo)
        {
            var generated = Tokens.Count - PromptTokens;
            // The stop token itself is not returned, as Meta cuts the output before it.
            var keep = Finish == FinishReason.Stop ? Tokens.Count - 1 : Tokens.Count;
            var start = echo ? 0 : PromptTokens;
            return new GeneratedSequence(
                Tokens.GetRange(start, keep - start),
                Logprobs.Count > 0 ? Logprobs.GetRange(start, keep - start) : null,
                Finish ?? FinishReason.Length,
                PromptTokens,
                generated);
        }
    }
}
