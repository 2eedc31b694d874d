using Llama.Checkpoints;
using Llama.Model;

namespace Llama.Tests.Model;

public class TransformerTests
{
    private static Transformer LoadStories(int cpuDecodeMaxBatch = 4, int maxBatch = 4)
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        return Transformer.Load(checkpoint, checkpoint.Args, 512, maxBatch, new EngineOptions { CpuDecodeMaxBatch = cpuDecodeMaxBatch });
    }

    [Fact]
    public void Prefill_logits_match_the_reference_at_every_position()
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories();

        var logits = model.Forward([new SequenceInput(0, 0, reference.PromptIds)], allPositions: true)[0];

        var vocab = model.Args.VocabSize;
        for (var pos = 0; pos < reference.PromptIds.Length; pos++)
        {
            var diff = ReferenceLogits.MaxAbsDifference(reference.Logits[pos], logits.AsSpan(pos * vocab, vocab));
            Assert.True(diff <= reference.Tolerance, $"position {pos}: max |diff| {diff}");
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(0)]
    public void Token_by_token_decoding_matches_the_reference(int cpuDecodeMaxBatch)
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories(cpuDecodeMaxBatch);

        for (var pos = 0; pos < reference.PromptIds.Length; pos++)
        {
            var logits = model.Forward([new SequenceInput(2, pos, [reference.PromptIds[pos]])])[0];
            var diff = ReferenceLogits.MaxAbsDifference(reference.Logits[pos], logits);
            Assert.True(diff <= reference.Tolerance, $"position {pos}: max |diff| {diff}");
        }
    }

    [Fact]
    public void Ragged_batch_gives_each_sequence_its_own_logits()
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories();
        var ids = reference.PromptIds;

        // Slot 1 prefills the whole prompt while slot 3 is mid-way through it: one padded batch.
        model.Forward([new SequenceInput(3, 0, ids[..2])]);
        var results = model.Forward([new SequenceInput(1, 0, ids), new SequenceInput(3, 2, ids[2..])], allPositions: true);

        var vocab = model.Args.VocabSize;
        var last = ids.Length - 1;
        Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[last], results[0].AsSpan(last * vocab, vocab)) <= reference.Tolerance);
        Assert.Equal((ids.Length - 2) * vocab, results[1].Length);
        for (var t = 0; t < ids.Length - 2; t++)
        {
            Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[t + 2], results[1].AsSpan(t * vocab, vocab)) <= reference.Tolerance);
        }
    }

    [Fact]
    public void Batched_decode_step_matches_single_sequence_steps()
    {
        var reference = ReferenceLogits.Load();
        using var model = LoadStories();
        var ids = reference.PromptIds;
        model.Forward([new SequenceInput(0, 0, ids[..3]), new SequenceInput(1, 0, ids[..1])]);

        var step = model.Forward([new SequenceInput(0, 3, [ids[3]]), new SequenceInput(1, 1, [ids[1]])]);

        Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[3], step[0]) <= reference.Tolerance);
        Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[1], step[1]) <= reference.Tolerance);
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
    public void Bad_batches_are_rejected_with_clear_messages()
    {
        using var model = LoadStories();
        Assert.Contains("exceeds max_seq_len 512", Assert.Throws<ArgumentException>(() =>
            model.Forward([new SequenceInput(0, 510, [1, 2, 3])])).Message);
        Assert.Contains("exceeds max_batch_size 4", Assert.Throws<ArgumentException>(() =>
            model.Forward(Enumerable.Range(0, 5).Select(i => new SequenceInput(i % 4, 0, [1])).ToArray())).Message);
        Assert.Contains("outside the vocabulary of 512", Assert.Throws<ArgumentException>(() =>
            model.Forward([new SequenceInput(0, 0, [512])])).Message);
        Assert.Contains("no tokens", Assert.Throws<ArgumentException>(() =>
            model.Forward([new SequenceInput(0, 0, [])])).Message);
    }
}
