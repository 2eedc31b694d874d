using Llama.Checkpoints;
using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Tests.Model;

public class TransformerTests
{
    /// <summary>Engine kernels with their GEMV, engine kernels with libtorch's GEMM for every product, libtorch alone.</summary>
    public static TheoryData<string> Paths => ["kernels", "kernels-gemm", "libtorch"];

    private static EngineOptions Options(string path) => path switch
    {
        "kernels" => new EngineOptions(),
        "kernels-gemm" => new EngineOptions { CpuGemvMaxRows = 0 },
        _ => new EngineOptions { CpuKernels = false },
    };

    private static Transformer LoadStories(string path = "kernels", int maxBatch = 4, EngineOptions? options = null)
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        return Transformer.Load(checkpoint, checkpoint.Args, 512, maxBatch, options ?? Options(path));
    }

    private static SequenceInput Slot(Transformer model, int slot, int start, int[] tokens) => new(model.SlotBlocks(slot), start, tokens);

    [Theory]
    [MemberData(nameof(Paths))]
    public void Prefill_logits_match_the_reference_at_every_position(string path)
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories(path);

        var logits = model.Forward([Slot(model, 0, 0, reference.PromptIds)], allPositions: true)[0];

        var vocab = model.Args.VocabSize;
        for (var pos = 0; pos < reference.PromptIds.Length; pos++)
        {
            var diff = ReferenceLogits.MaxAbsDifference(reference.Logits[pos], logits.AsSpan(pos * vocab, vocab));
            Assert.True(diff <= reference.Tolerance, $"position {pos}: max |diff| {diff}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Token_by_token_decoding_matches_the_reference(string path)
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories(path);

        for (var pos = 0; pos < reference.PromptIds.Length; pos++)
        {
            var logits = model.Forward([Slot(model, 2, pos, [reference.PromptIds[pos]])])[0];
            var diff = ReferenceLogits.MaxAbsDifference(reference.Logits[pos], logits);
            Assert.True(diff <= reference.Tolerance, $"position {pos}: max |diff| {diff}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Scattered_blocks_of_any_order_give_the_same_logits(string path)
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories(path, options: Options(path) with { KvBlockSize = 2 });
        var ids = reference.PromptIds;
        // Blocks far apart and in reverse order: positions 0-1 in the last block, 2-3 in the one before, ...
        var blocks = Enumerable.Range(0, (ids.Length + 1) / 2).Select(i => model.Cache.BlockCount - 1 - (3 * i)).ToArray();

        model.Forward([new SequenceInput(blocks, 0, ids[..3])]);
        var logits = model.Forward([new SequenceInput(blocks, 3, ids[3..])], allPositions: true)[0];

        var vocab = model.Args.VocabSize;
        for (var pos = 3; pos < ids.Length; pos++)
        {
            Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[pos], logits.AsSpan((pos - 3) * vocab, vocab)) <= reference.Tolerance, $"position {pos}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_batch_mixing_decode_rows_and_prefill_chunks_gives_each_sequence_its_own_logits(string path)
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories(path);
        var ids = reference.PromptIds;
        model.Forward([Slot(model, 3, 0, ids[..2]), Slot(model, 0, 0, ids[..4])]);

        // Slot 1 prefills the whole prompt, slot 3 a chunk from the middle, slot 0 decodes one token: one forward.
        var results = model.Forward([Slot(model, 1, 0, ids), Slot(model, 3, 2, ids[2..]), Slot(model, 0, 4, [ids[4]])], allPositions: true);

        var vocab = model.Args.VocabSize;
        var last = ids.Length - 1;
        Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[last], results[0].AsSpan(last * vocab, vocab)) <= reference.Tolerance);
        Assert.Equal((ids.Length - 2) * vocab, results[1].Length);
        for (var t = 0; t < ids.Length - 2; t++)
        {
            Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[t + 2], results[1].AsSpan(t * vocab, vocab)) <= reference.Tolerance);
        }

        Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[4], results[2]) <= reference.Tolerance);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Batched_decode_step_matches_single_sequence_steps(string path)
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories(path, maxBatch: 8);
        var ids = reference.PromptIds;
        // More decode rows than the GEMV takes: the step also crosses to the GEMM.
        int Length(int s) => (s % (ids.Length - 1)) + 1;
        model.Forward(Enumerable.Range(0, 6).Select(s => Slot(model, s, 0, ids[..Length(s)])).ToArray());

        var step = model.Forward(Enumerable.Range(0, 6).Select(s => Slot(model, s, Length(s), [ids[Length(s)]])).ToArray());

        for (var s = 0; s < 6; s++)
        {
            Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[Length(s)], step[s]) <= reference.Tolerance, $"sequence {s}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_steps_logits_do_not_depend_on_the_steps_before_it(string path)
    {
        var ids = ReferenceLogits.Load().PromptIds;
        using var model = LoadStories(path, maxBatch: 8);
        model.Forward([Slot(model, 0, 0, ids[..2]), Slot(model, 1, 0, ids[..3])]);
        SequenceInput[] step = [Slot(model, 0, 2, [ids[2]]), Slot(model, 1, 3, [ids[3]])];
        var first = model.Forward(step);

        // A larger step on other sequences leaves its values in the working arrays the next step is given; the same
        // step again (it rewrites the same cache positions) must not see them.
        model.Forward(Enumerable.Range(2, 6).Select(s => Slot(model, s, 0, ids)).ToArray(), allPositions: true);
        var again = model.Forward(step);

        Assert.Equal(first[0], again[0]);
        Assert.Equal(first[1], again[1]);
    }

    [Fact]
    public void A_decode_step_allocates_little_beyond_the_logits_it_returns()
    {
        var ids = ReferenceLogits.Load().PromptIds;
        using var model = LoadStories(maxBatch: 8);
        var sequences = Enumerable.Range(0, 8).ToArray();
        model.Forward(sequences.Select(s => Slot(model, s, 0, ids[..2])).ToArray());
        SequenceInput[] Step(int pos) => sequences.Select(s => Slot(model, s, pos, [ids[pos]])).ToArray();
        model.Forward(Step(2));

        var step = Step(3);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var logits = model.Forward(step);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The step's working arrays (activations, the batch's logits) come from the shared pool: what is left is the
        // logits handed back, one array per sequence, and bookkeeping far smaller than those arrays.
        var args = model.Args;
        var working = (long)step.Length * ((4 * args.Dim) + (2 * args.KvHeads * args.HeadDim) + (3 * args.HiddenDim) + args.VocabSize) * sizeof(float);
        var returned = logits.Sum(l => (long)l.Length * sizeof(float));
        Assert.True(allocated - returned < working / 2, $"allocated {allocated} bytes: {returned} of logits, working arrays {working}");
    }

    [Fact]
    public void A_tied_classifier_is_held_once()
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        using var model = Transformer.Load(checkpoint, checkpoint.Args, 512, 1, new EngineOptions());

        Assert.True(checkpoint.TiedEmbeddings);
        Assert.Same(model.Embeddings, model.Output);
    }

    [Fact]
    public void The_kv_cache_is_sized_by_budget_or_as_a_static_cache()
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        var args = checkpoint.Args;
        var perToken = KvBlockPool.BytesPerTokenOf(args, ScalarType.Float32);
        Assert.Equal(2L * args.NLayers * args.KvHeads * args.HeadDim * 4, perToken);

        using (var staticCache = Transformer.Load(checkpoint, args, 512, 3, new EngineOptions()))
        {
            Assert.Equal(3 * 512 / 16, staticCache.Cache.BlockCount);
            Assert.Equal(perToken * 16, staticCache.Cache.BytesPerBlock);
        }

        using var budgeted = Transformer.Load(checkpoint, args, 512, 3, new EngineOptions { KvCacheBytes = (perToken * 16 * 100) + 5 });
        Assert.Equal(100, budgeted.Cache.BlockCount);
        using (var sequences = Transformer.Load(checkpoint, args, 512, 3, new EngineOptions { KvCacheSequences = 5 }))
        {
            Assert.Equal(5 * 512 / 16, sequences.Cache.BlockCount);
        }

        Assert.Equal(perToken * 16 * 100, budgeted.Cache.Bytes);
        Assert.Throws<ArgumentException>(() => budgeted.SlotBlocks(3));
    }

    [Fact]
    public void Bad_kv_budgets_are_rejected_with_clear_messages()
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        var args = checkpoint.Args;
        Assert.Contains("fewer than the 32 blocks one sequence", Assert.Throws<ArgumentException>(() =>
            Transformer.Load(checkpoint, args, 512, 1, new EngineOptions { KvCacheBytes = 1000 })).Message);
        Assert.Contains("not several", Assert.Throws<ArgumentException>(() =>
            Transformer.Load(checkpoint, args, 512, 1, new EngineOptions { KvCacheBytes = 1 << 30, KvCacheMemoryFraction = 0.1 })).Message);
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentException>(() =>
            Transformer.Load(checkpoint, args, 512, 1, new EngineOptions { KvCacheMemoryFraction = 1.5 })).Message);
    }

    [Fact]
    public void Bad_batches_are_rejected_with_clear_messages()
    {
        using var model = LoadStories();
        Assert.Contains("exceeds max_seq_len 512", Assert.Throws<ArgumentException>(() =>
            model.Forward([Slot(model, 0, 510, [1, 2, 3])])).Message);
        Assert.Contains("exceeds max_batch_size 4", Assert.Throws<ArgumentException>(() =>
            model.Forward(Enumerable.Range(0, 5).Select(i => Slot(model, i % 4, 0, [1])).ToArray())).Message);
        Assert.Contains("outside the vocabulary of 512", Assert.Throws<ArgumentException>(() =>
            model.Forward([Slot(model, 0, 0, [512])])).Message);
        Assert.Contains("no tokens", Assert.Throws<ArgumentException>(() =>
            model.Forward([Slot(model, 0, 0, [])])).Message);
        Assert.Contains("needs 2 KV blocks, but its block table has 1", Assert.Throws<ArgumentException>(() =>
            model.Forward([new SequenceInput([0], 15, [1, 2])])).Message);
        Assert.Contains("KV block 9999 is outside", Assert.Throws<ArgumentException>(() =>
            model.Forward([new SequenceInput([9999], 0, [1])])).Message);
        Assert.Contains("write the same KV cache position", Assert.Throws<ArgumentException>(() =>
            model.Forward([new SequenceInput([5], 0, [1]), new SequenceInput([5], 0, [2])])).Message);
        Assert.Contains("outside the 4 full-length sequences", Assert.Throws<ArgumentException>(() => model.SlotBlocks(4)).Message);
    }
}
