using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;
using Llama.Tests.Generation;
using static TorchSharp.torch;

namespace Llama.Tests.Model;

/// <summary>A 16-bit KV cache against the float32 references: logits close, greedy tokens the same.</summary>
public class KvCacheDTypeTests
{
    private static readonly GreedyReference Greedy = GreedyReference.Load();

    /// <summary>Every KV type on the engine's kernels (decode rows and prefill chunks) and on libtorch.</summary>
    public static TheoryData<string, bool> Paths => new()
    {
        { "float16", true },
        { "bfloat16", true },
        { "float16", false },
        { "bfloat16", false },
    };

    private static Transformer LoadStories(string kvDType, bool kernels)
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        return Transformer.Load(checkpoint, checkpoint.Args, 512, 4,
            new EngineOptions { KvCacheDType = EngineOptions.ParseKvCacheDType(kvDType), CpuKernels = kernels, KvBlockSize = 4 });
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_16_bit_cache_holds_half_the_bytes_and_its_logits_stay_near_the_float32_reference(string kvDType, bool kernels)
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories(kvDType, kernels);
        var ids = reference.PromptIds;

        Assert.Equal(EngineOptions.ParseDType(kvDType), model.Cache.DType);
        Assert.Equal(KvBlockPool.BytesPerTokenOf(model.Args, ScalarType.Float32) / 2, model.Cache.BytesPerToken);
        // A prefill chunk, then decode rows over the cached prompt.
        var chunk = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, ids)], allPositions: true)[0];
        var vocab = model.Args.VocabSize;
        var largest = 0f;
        for (var pos = 0; pos < ids.Length; pos++)
        {
            var decoded = model.Forward([new SequenceInput(model.SlotBlocks(1), pos, [ids[pos]])])[0];
            largest = Math.Max(largest, ReferenceLogits.MaxAbsDifference(reference.Logits[pos], chunk.AsSpan(pos * vocab, vocab)));
            largest = Math.Max(largest, ReferenceLogits.MaxAbsDifference(reference.Logits[pos], decoded));
        }

        // Logits here span about 15. Measured: float16 moves them by at most 0.008, bfloat16 by 0.07 (as much as
        // rounding the weights to bfloat16 does: 0.079, test/data/reference/README.md).
        var tolerance = kvDType == "float16" ? 2e-2f : 0.15f;
        Assert.True(largest <= tolerance, $"max |logit - float32 reference| {largest}, tolerance {tolerance}");
        Assert.True(largest > 0, "a 16-bit cache that changes no logit at all did not round anything");
    }

    /// <summary>
    /// stories260K's greedy references (657 tokens in four cases, run.c's float32 output) with a 16-bit cache: every
    /// token the same, for float16 and bfloat16 alike, on the engine's kernels and on libtorch.
    /// </summary>
    [Theory]
    [InlineData("float16", true, 657)]
    [InlineData("bfloat16", true, 657)]
    [InlineData("float16", false, 657)]
    public void Greedy_generations_agree_with_the_float32_references(string kvDType, bool kernels, int agreeing)
    {
        using var llama = LlamaGenerator.Build(TestData.Model, TestData.Tok512, Greedy.MaxSeqLen, Greedy.Cases.Length,
            new EngineOptions { KvCacheDType = EngineOptions.ParseKvCacheDType(kvDType), CpuKernels = kernels });

        var results = llama.Generator.Generate(Greedy.Cases.Select(c => (IReadOnlyList<int>)c.PromptIds).ToArray(),
            new GenerationOptions { Temperature = 0, MaxGenLen = Greedy.Cases.Max(c => c.MaxNewTokens) });

        var same = Greedy.Cases.Zip(results).Sum(pair =>
            pair.First.GeneratedIds.Zip(pair.Second.Tokens).TakeWhile(t => t.First == t.Second).Count());
        var counts = string.Join(", ", Greedy.Cases.Zip(results).Select(pair =>
            $"{pair.First.GeneratedIds.Zip(pair.Second.Tokens).TakeWhile(t => t.First == t.Second).Count()}/{pair.First.GeneratedIds.Length}"));
        Assert.True(same >= agreeing, $"{same} tokens agree before each case's first difference ({counts}), expected at least {agreeing}");
    }

    [Fact]
    public void An_unknown_kv_cache_dtype_is_a_one_line_error()
    {
        var error = Assert.Throws<ArgumentException>(() => EngineOptions.ParseKvCacheDType("int8"));
        Assert.Equal("Unknown KV cache dtype 'int8': expected float32, bfloat16 or float16.", error.Message);
    }
}
