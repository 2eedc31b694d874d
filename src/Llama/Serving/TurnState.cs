using Llama.Generation;

namespace Llama.Serving;

/// <summary>One turn from the moment it is queued until it completes: its tokens, sampling state and result.</summary>
internal sealed class TurnState(TurnRequest request, Action<int, TokenLogprobs?>? onToken, SeededRandom random, CancellationToken cancellationToken)
{
    /// <summary>
    /// A new turn for <paramref name="request"/>, seeded as it asks (else at random); cancelling
    /// <paramref name="cancellationToken"/> marks it cancelled and calls <paramref name="wake"/>.
    /// </summary>
    public static TurnState Start(TurnRequest request, Action<int, TokenLogprobs?>? onToken, Action wake, CancellationToken cancellationToken)
    {
        var seed = request.Options.Seed ?? (ulong)System.Random.Shared.NextInt64();
        var turn = new TurnState(request, onToken, new SeededRandom(seed), cancellationToken);
        turn.Registration = cancellationToken.Register(() =>
        {
            turn.Cancelled = true;
            wake();
        });
        return turn;
    }

    public TurnRequest Request { get; } = request;

    public Action<int, TokenLogprobs?>? OnToken { get; } = onToken;

    public SeededRandom Random { get; } = random;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TaskCompletionSource<TurnOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationTokenRegistration Registration { get; set; }

    /// <summary>Set (from any thread) when the caller cancels; the engine removes the turn at its next step.</summary>
    public volatile bool Cancelled;

    /// <summary>The cache it runs on, from its admission on.</summary>
    public CacheEntry? Entry { get; set; }

    /// <summary>Prompt then generated tokens; the last may still have to go through the model.</summary>
    public List<int> Tokens { get; } = [];

    public int PromptLength { get; set; }

    /// <summary>Most tokens it may generate (Meta's max_gen_len, within what the sequence can hold).</summary>
    public int MaxGenLen { get; set; }

    /// <summary>Prompt tokens its first admission had to compute (the rest came from caches).</summary>
    public int PrefilledTokens { get; set; }

    /// <summary>Admitted once at least, so its cache has changed.</summary>
    public bool Admitted { get; set; }

    /// <summary>It has sampled since its last admission: each step computes just its newest token.</summary>
    public bool Decoding { get; set; }

    public FinishReason? Finish { get; set; }

    /// <summary>Watches the reply's text for the request's stop sequences; null when it has none.</summary>
    public StopSequenceMatcher? StopText { get; } = request.Stop is { } stop ? new StopSequenceMatcher(stop) : null;

    /// <summary>It ended on a stop sequence: its last token is part of the reply, unlike a stop token.</summary>
    public bool StoppedOnText { get; set; }

    /// <summary>Log-probabilities of the generated tokens so far, when the request asks for them.</summary>
    public List<TokenLogprobs>? Logprobs { get; } = request.Options.Logprobs ? [] : null;

    public int Generated => Tokens.Count - PromptLength;

    /// <summary>Tokens still to go through the model before the next sample.</summary>
    public int Pending => Tokens.Count - Entry!.Tokens.Count;

    public TurnOutcome Outcome(int cachedTokens, ulong cachedHash)
    {
        // The stop token itself is not returned, as Meta cuts the output before it.
        var keep = Generated - (Finish == FinishReason.Stop && !StoppedOnText ? 1 : 0);
        return new TurnOutcome(Tokens.GetRange(PromptLength, keep), Finish ?? FinishReason.Length, PrefilledTokens, cachedTokens, cachedHash)
        {
            Logprobs = Logprobs?.GetRange(0, keep),
        };
    }

    /// <summary>Records the log-probabilities of a token just sampled from <paramref name="logits"/>, when asked for.</summary>
    public void Sampled(float[]? logits, int token)
    {
        if (Logprobs is not null)
        {
            Logprobs.Add(TokenLogprobs.Of(logits ?? throw new InvalidOperationException("The step returned no logits for a turn that asked for log-probabilities."), token, Request.TopLogprobs));
        }
    }

    /// <summary>Ends the turn with its outcome.</summary>
    public void Complete(TurnOutcome outcome)
    {
        Registration.Unregister();
        Completion.TrySetResult(outcome);
    }

    /// <summary>Ends the turn with an error: cancelled when <paramref name="error"/> is a cancellation.</summary>
    public void Fail(Exception error)
    {
        Registration.Unregister();
        if (error is OperationCanceledException)
        {
            Completion.TrySetCanceled(CancellationToken);
        }
        else
        {
            Completion.TrySetException(error);
        }
    }

    /// <summary>Hands each sampled token to its turn's callback; returns the turns whose callback threw, with what it threw.</summary>
    public static Dictionary<TurnState, Exception> Notify(IEnumerable<(TurnState Turn, int Token)> sampled)
    {
        var failed = new Dictionary<TurnState, Exception>();
        foreach (var (turn, token) in sampled)
        {
            try
            {
                turn.Notify(token);
            }
            catch (Exception e)
            {
                failed[turn] = e;
            }
        }

        return failed;
    }

    /// <summary>Hands a sampled token, and its log-probabilities when asked for, to the caller's callback.</summary>
    public void Notify(int token) => OnToken?.Invoke(token, Logprobs is [.., var last] ? last : null);
}
