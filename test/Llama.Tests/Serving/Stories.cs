using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;
using Llama.Serving;
using static TorchSharp.torch;

namespace Llama.Tests.Serving;

/// <summary>stories260K loaded for serving tests, with the story prompts they share.</summary>
internal static class Stories
{
    public const int MaxSeqLen = 128;

    public static readonly string[] Texts =
    [
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.",
        "Tom had a big red ball.",
        "One day, a cat",
        "The sun was hot and the sky was blue. Ben and his mom went to the beach to swim and build a castle of sand.",
        "Sara",
        "There was a dog who liked to run. Every morning he ran to the big tree",
    ];

    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static GenerationOptions Greedy(int maxGenLen) => new() { Temperature = 0, MaxGenLen = maxGenLen };

    public static GenerationOptions Sampled(int maxGenLen, ulong seed) => new() { Temperature = 0.9f, TopP = 0.9f, MaxGenLen = maxGenLen, Seed = seed };

    /// <summary>
    /// A model whose KV pool has <paramref name="poolBlocks"/> blocks (null: max_batch_size full sequences) of
    /// <paramref name="kvCacheDType"/> (null: float32, as the model computes).
    /// </summary>
    public static LlamaGenerator Build(int blockSize = 4, int? poolBlocks = null, int maxBatchSize = 8, ScalarType? kvCacheDType = null)
    {
        var options = new EngineOptions { KvBlockSize = blockSize, KvCacheDType = kvCacheDType };
        if (poolBlocks is { } blocks)
        {
            using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
            options = options with { KvCacheBytes = blocks * blockSize * KvBlockPool.BytesPerTokenOf(checkpoint.Args, kvCacheDType ?? ScalarType.Float32) };
        }

        return LlamaGenerator.Build(TestData.Model, TestData.Tok512, MaxSeqLen, maxBatchSize, options);
    }

    public static int[] Prompt(LlamaGenerator generator, string text) => generator.Tokenizer.Encode(text, bos: true, eos: false).ToArray();

    /// <summary>What <see cref="TokenGenerator"/> generates for the prompt alone: the reference every served turn must match.</summary>
    public static GeneratedSequence Alone(LlamaGenerator reference, IReadOnlyList<int> prompt, GenerationOptions options) =>
        reference.Generator.Generate([prompt], options)[0];

    public static Task<TurnOutcome> Run(this ServingEngine engine, string cacheId, IReadOnlyList<int> tokens, GenerationOptions options,
        int reuseTokens = 0, ulong reuseHash = 0, Action<int>? onToken = null, CancellationToken cancellationToken = default) =>
        engine.RunAsync(new TurnRequest(cacheId, tokens, options) { ReuseTokens = reuseTokens, ReuseHash = reuseHash }, onToken, cancellationToken)
            .WaitAsync(Timeout, CancellationToken.None);

    /// <summary>
    /// Calls <paramref name="submit"/> while the engine thread waits in the callback of a one-token turn on cache
    /// "gate", so every turn it queues is admitted at the same step, however slowly this thread runs.
    /// </summary>
    public static async Task<T> WhileHeld<T>(ServingEngine engine, Func<T> submit)
    {
        using var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = engine.Run("gate", [1], Greedy(1), onToken: _ =>
        {
            held.SetResult();
            release.Wait(Timeout);
        });
        await held.Task.WaitAsync(Timeout);
        try
        {
            return submit();
        }
        finally
        {
            release.Set();
            await gate;
        }
    }

    /// <summary>The tokens a cache holds after a turn: the prompt and the reply but its last token (all of it after a stop).</summary>
    public static int[] Held(IReadOnlyList<int> prompt, TurnOutcome outcome) =>
        prompt.Concat(outcome.Tokens).Take(outcome.CachedTokens).ToArray();

    /// <summary>Keys and values of one block in every layer, as floats.</summary>
    public static float[] BlockContents(KvBlockPool pool, int block) =>
        pool.Keys.Concat(pool.Values).SelectMany(t =>
        {
            using var slice = t[block];
            using var widened = slice.to_type(ScalarType.Float32);
            return widened.data<float>().ToArray();
        }).ToArray();
}
