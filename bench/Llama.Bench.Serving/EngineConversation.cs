using Llama.Chat;
using Llama.Serving;
using Llama.Tokenization;

namespace Llama.Bench.Serving;

/// <summary>
/// A multi-turn conversation driven on the engine directly, as a conversation grain drives its worker but at the
/// token level: the history is exactly the tokens sent and generated (never re-tokenized), each turn reuses what the
/// engine still caches of it and sends only the rest, and a cache miss re-sends the whole history. So the replies
/// depend on nothing but the history, however often the cache was evicted.
/// </summary>
internal sealed class EngineConversation(string id)
{
    private readonly List<int> _history = [];
    private int _cachedTokens;
    private ulong _cachedHash = TokenHash.Empty;

    public string Id { get; } = id;

    /// <summary>Each turn's reply tokens, stop token excluded.</summary>
    public List<IReadOnlyList<int>> Replies { get; } = [];

    /// <summary>Each turn's token timing (of the last try, after a miss).</summary>
    public List<StreamTiming> Timings { get; } = [];

    /// <summary>Turns that found their cache gone and recomputed the whole history.</summary>
    public int Misses { get; private set; }

    /// <summary>
    /// The tokens a user message adds in Llama 2's chat format: BOS and the instruction, closed by EOS after the
    /// previous reply (<c>&lt;s&gt;[INST] message [/INST]</c> ... <c>reply &lt;/s&gt;</c>).
    /// </summary>
    public static IReadOnlyList<int> UserTokens(ITokenizer tokenizer, string message, bool first)
    {
        var instruction = tokenizer.Encode($"{ChatFormat.BeginInstruction} {message} {ChatFormat.EndInstruction}", bos: true, eos: false);
        return first ? instruction : [tokenizer.EosId, .. instruction];
    }

    /// <summary>Runs one greedy turn of at most <paramref name="replyTokens"/> tokens.</summary>
    public async Task TurnAsync(ServingEngine engine, IReadOnlyList<int> userTokens, int replyTokens, CancellationToken cancellationToken)
    {
        _history.AddRange(userTokens);
        var options = BenchEngine.Greedy(replyTokens);
        TurnOutcome outcome;
        var clock = new TokenClock();
        try
        {
            outcome = await engine.RunAsync(
                new TurnRequest(Id, _history.Skip(_cachedTokens).ToArray(), options) { ReuseTokens = _cachedTokens, ReuseHash = _cachedHash },
                _ => clock.Token(), cancellationToken).ConfigureAwait(false);
        }
        catch (CacheMissException)
        {
            Misses++;
            clock = new TokenClock();
            outcome = await engine.RunAsync(new TurnRequest(Id, _history.ToArray(), options), _ => clock.Token(), cancellationToken).ConfigureAwait(false);
        }

        Timings.Add(clock.Finish());
        Replies.Add(outcome.Tokens);
        _history.AddRange(outcome.Tokens);
        // The cache holds a prefix of the history: the prompt and the reply but the last token sampled.
        _cachedTokens = outcome.CachedTokens;
        _cachedHash = outcome.CachedHash;
    }
}
