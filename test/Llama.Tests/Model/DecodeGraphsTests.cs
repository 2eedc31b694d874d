using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;

namespace Llama.Tests.Model;

/// <summary>
/// The decode step's fixed buffers and its graph bookkeeping, on CPU tensors: a fake graph API records every capture
/// and replay and replays by running the captured step again, which is only right if the step reads nothing but
/// its bucket's buffers, exactly what a real CUDA graph needs.
/// </summary>
public class DecodeGraphsTests
{
    private sealed class RecordingGraphs(bool failCapture = false) : ICudaGraphApi
    {
        private readonly List<Action> _steps = [];

        public List<string> Calls { get; } = [];

        public nint Capture(int device, Action step)
        {
            Calls.Add($"capture {device}");
            if (failCapture)
            {
                throw new InvalidOperationException("capture is not supported here");
            }

            _steps.Add(step);
            return _steps.Count;
        }

        public void Replay(nint graph)
        {
            Calls.Add($"replay {graph}");
            _steps[(int)graph - 1]();
        }

        public void Destroy(nint graph) => Calls.Add($"destroy {graph}");
    }

    private static Transformer Load(int maxBatch = 8)
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        return Transformer.Load(checkpoint, checkpoint.Args, 512, maxBatch, new EngineOptions { CpuKernels = false });
    }

    /// <summary>Greedy decode of several sequences together for <paramref name="steps"/> steps, through ForwardSampled.</summary>
    private static List<int>[] Decode(Transformer model, int[][] prompts, int steps, Func<int, RowSampling> sampling)
    {
        var tokens = prompts.Select(p => p.ToList()).ToArray();
        var first = model.ForwardSampled(prompts.Select((p, s) => new SequenceInput(model.SlotBlocks(s), 0, p)).ToArray(),
            prompts.Select((_, s) => sampling(s)).ToArray());
        for (var s = 0; s < prompts.Length; s++)
        {
            tokens[s].Add(first.Tokens[s]);
        }

        for (var step = 0; step < steps; step++)
        {
            var batch = tokens.Select((t, s) => new SequenceInput(model.SlotBlocks(s), t.Count - 1, [t[^1]])).ToArray();
            var next = model.ForwardSampled(batch, prompts.Select((_, s) => sampling(s)).ToArray());
            for (var s = 0; s < prompts.Length; s++)
            {
                tokens[s].Add(next.Tokens[s]);
            }
        }

        return tokens;
    }

    private static List<int>[] Reference(int[][] prompts, int steps)
    {
        // The libtorch path's own step, logits back to the host and the CPU sampler: what decode did before.
        using var model = Load();
        var tokens = prompts.Select(p => p.ToList()).ToArray();
        var logits = model.Forward(prompts.Select((p, s) => new SequenceInput(model.SlotBlocks(s), 0, p)).ToArray());
        for (var step = 0; step <= steps; step++)
        {
            for (var s = 0; s < prompts.Length; s++)
            {
                tokens[s].Add(Sampler.Sample(logits[s], 0, 0.9f, new SeededRandom(0)));
            }

            if (step < steps)
            {
                logits = model.Forward(tokens.Select((t, s) => new SequenceInput(model.SlotBlocks(s), t.Count - 1, [t[^1]])).ToArray());
            }
        }

        return tokens;
    }

    private static readonly int[][] Prompts = [[1, 403, 407], [1, 261], [1, 43, 58, 68, 70, 302]];

    [Fact]
    public void Graph_replays_give_the_eager_tokens_with_one_capture_per_bucket()
    {
        var expected = Reference(Prompts, 20);
        var model = Load();
        var graphs = new RecordingGraphs();
        model.UseDecodeGraphs(graphs);

        var tokens = Decode(model, Prompts, 20, _ => new RowSampling(0, 0.9f, 0, false));

        for (var s = 0; s < Prompts.Length; s++)
        {
            Assert.Equal(expected[s], tokens[s]);
        }

        // 3 sequences pad to the bucket of 4; histories of up to 27 positions cross from 1 block of 16 to 2.
        Assert.Equal(2, model.DecodeGraphs!.Captures);
        Assert.Equal(18, model.DecodeGraphs.Replays);
        Assert.Equal(new[] { "capture 0", "capture 0" }, graphs.Calls.Where(c => c.StartsWith("capture", StringComparison.Ordinal)));
        model.Dispose();
        Assert.Equal(new[] { "destroy 1", "destroy 2" }, graphs.Calls.Where(c => c.StartsWith("destroy", StringComparison.Ordinal)));
    }

    [Fact]
    public void Top_p_through_the_fixed_step_picks_the_cpu_samplers_tokens_from_the_same_seeds()
    {
        using var eager = Load();
        using var graphed = Load();
        graphed.UseDecodeGraphs(new RecordingGraphs());
        var draws = new[] { new SeededRandom(7), new SeededRandom(8), new SeededRandom(9) };
        var again = new[] { new SeededRandom(7), new SeededRandom(8), new SeededRandom(9) };

        // The same seeded draws through the host path (logits back, CPU sampler) and through the fixed step.
        var expected = Prompts.Select(p => p.ToList()).ToArray();
        var logits = eager.Forward(Prompts.Select((p, s) => new SequenceInput(eager.SlotBlocks(s), 0, p)).ToArray());
        for (var step = 0; step < 12; step++)
        {
            for (var s = 0; s < Prompts.Length; s++)
            {
                expected[s].Add(Sampler.Sample(logits[s], 0.9f, 0.9f, draws[s]));
            }

            logits = eager.Forward(expected.Select((t, s) => new SequenceInput(eager.SlotBlocks(s), t.Count - 1, [t[^1]])).ToArray());
        }

        var tokens = Decode(graphed, Prompts, 11, s => new RowSampling(0.9f, 0.9f, again[s].NextDouble(), false));

        for (var s = 0; s < Prompts.Length; s++)
        {
            Assert.Equal(expected[s], tokens[s]);
        }

        Assert.True(graphed.DecodeGraphs!.Replays > 0);
    }

    [Fact]
    public void Logits_come_back_only_for_rows_that_ask_and_match_the_host_paths()
    {
        var reference = ReferenceLogits.Load();
        using var model = Load();
        model.UseDecodeGraphs(new RecordingGraphs());
        var ids = reference.PromptIds;
        model.Forward([new SequenceInput(model.SlotBlocks(0), 0, ids[..3]), new SequenceInput(model.SlotBlocks(1), 0, ids[..2])]);

        var step = model.ForwardSampled(
            [new SequenceInput(model.SlotBlocks(0), 3, [ids[3]]), new SequenceInput(model.SlotBlocks(1), 2, [ids[2]])],
            [new RowSampling(0, 0.9f, 0, KeepLogits: true), new RowSampling(0, 0.9f, 0, KeepLogits: false)]);

        Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[3], step.Logits[0]) <= reference.Tolerance);
        Assert.Null(step.Logits[1]);
    }

    [Fact]
    public void A_bucket_whose_capture_fails_runs_eagerly_with_the_same_tokens()
    {
        var expected = Reference(Prompts, 6);
        using var model = Load();
        var graphs = new RecordingGraphs(failCapture: true);
        model.UseDecodeGraphs(graphs);

        var tokens = Decode(model, Prompts, 6, _ => new RowSampling(0, 0.9f, 0, false));

        for (var s = 0; s < Prompts.Length; s++)
        {
            Assert.Equal(expected[s], tokens[s]);
        }

        Assert.Equal(0, model.DecodeGraphs!.Replays);
        Assert.Equal(6, model.DecodeGraphs.EagerSteps);
        Assert.Single(graphs.Calls, "capture 0");
        Assert.Equal("capture is not supported here", model.DecodeGraphs.LastCaptureError!.Message);
    }

    [Theory]
    [InlineData(1, 5, 1, 1)]
    [InlineData(3, 17, 4, 2)]
    [InlineData(5, 48, 8, 4)]
    [InlineData(8, 512, 8, 32)]
    [InlineData(6, 200, 6, 14)]
    [InlineData(2, 2064, 2, 160)]
    public void Decode_buckets_round_batch_up_to_a_power_of_two_and_history_by_at_most_a_quarter_within_the_model(int sequences, int endPos, int batch, int blocks)
    {
        var bucket = DecodeBucket.For(sequences, endPos, greedy: true, maxBatch: sequences == 6 ? 6 : 8, blockSize: 16, maxBlocks: 256);
        Assert.Equal(new DecodeBucket(batch, blocks, true), bucket);
    }

    [Fact]
    public void The_cpu_model_decodes_eagerly_and_a_cuda_model_says_why_graphs_are_off()
    {
        using var model = Load();
        Assert.Null(model.DecodeGraphs);
        Assert.False(model.SamplesOnDevice);
        Assert.Equal("off: not a CUDA device", model.DecodeGraphsStatus);
    }
}
