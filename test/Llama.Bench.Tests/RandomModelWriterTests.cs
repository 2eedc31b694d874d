using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Llama.Bench.Tests;

public class RandomModelWriterTests
{
    // head_dim 4, kv_dim 4: every tensor has a distinct size, so a misplaced tensor shows.
    private static readonly LegacyModelConfig Tiny = new(Dim: 8, HiddenDim: 12, Layers: 2, Heads: 2, KvHeads: 1, VocabSize: 10, SeqLen: 4, SharedClassifier: true);

    private static byte[] Write(LegacyModelConfig config, ulong seed)
    {
        using var stream = new MemoryStream();
        RandomModelWriter.Write(stream, config, seed, CancellationToken.None);
        return stream.ToArray();
    }

    private static float[] Floats(byte[] file) => MemoryMarshal.Cast<byte, float>(file.AsSpan(28)).ToArray();

    [Fact]
    public void Header_is_the_seven_llama2c_ints_with_a_positive_vocab_for_a_shared_classifier()
    {
        var file = Write(Tiny, 1);

        var header = Enumerable.Range(0, 7).Select(i => BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(i * 4))).ToArray();
        Assert.Equal([8, 12, 2, 2, 1, 10, 4], header);
    }

    [Fact]
    public void File_has_every_tensor_of_the_legacy_layout_and_nothing_more()
    {
        var file = Write(Tiny, 1);

        // emb 10x8, rms_att 2x8, wq 2x8x8, wk 2x4x8, wv 2x4x8, wo 2x8x8, rms_ffn 2x8, w1 2x12x8, w2 2x8x12,
        // w3 2x12x8, rms_final 8, freq_cis_real 4x2, freq_cis_imag 4x2.
        var floats = 80 + 16 + 128 + 64 + 64 + 128 + 16 + 192 + 192 + 192 + 8 + 8 + 8;
        Assert.Equal(28 + (4 * floats), file.Length);
        Assert.Equal(file.Length, Tiny.FileBytes);
    }

    [Fact]
    public void Norms_are_one_weights_are_small_and_freq_cis_is_the_rotary_table()
    {
        var values = Floats(Write(Tiny, 7));
        (int Start, int Count, string Kind)[] layout =
        [
            (0, 80, "w"), (80, 16, "norm"), (96, 128, "w"), (224, 64, "w"), (288, 64, "w"), (352, 128, "w"),
            (480, 16, "norm"), (496, 192, "w"), (688, 192, "w"), (880, 192, "w"), (1072, 8, "norm"),
        ];

        foreach (var (start, count, kind) in layout)
        {
            var tensor = values.AsSpan(start, count).ToArray();
            if (kind == "norm")
            {
                Assert.All(tensor, v => Assert.Equal(1f, v));
            }
            else
            {
                // A centred sum of four uniforms scaled to std 0.02 stays within 2·sqrt(3)·0.02.
                Assert.All(tensor, v => Assert.InRange(v, -0.0693f, 0.0693f));
                Assert.True(tensor.Distinct().Count() > count * 9 / 10, $"tensor at {start} is not random");
            }
        }

        for (var pos = 0; pos < 4; pos++)
        {
            for (var i = 0; i < 2; i++)
            {
                var angle = pos * Math.Pow(10000, -2.0 * i / 4);
                Assert.Equal((float)Math.Cos(angle), values[1080 + (pos * 2) + i]);
                Assert.Equal((float)Math.Sin(angle), values[1088 + (pos * 2) + i]);
            }
        }
    }

    [Fact]
    public void Weights_have_mean_zero_and_std_two_hundredths()
    {
        var config = new LegacyModelConfig(64, 128, 1, 4, 4, 512, 8, SharedClassifier: true);
        var embedding = Floats(Write(config, 3)).AsSpan(0, 512 * 64).ToArray();

        var mean = embedding.Average(v => (double)v);
        var std = Math.Sqrt(embedding.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.0005, 0.0005);
        Assert.InRange(std, 0.0196, 0.0204);
    }

    [Fact]
    public void Same_seed_gives_the_same_bytes_and_another_seed_other_weights()
    {
        var first = Write(Tiny, 42);

        Assert.Equal(first, Write(Tiny, 42));
        var other = Write(Tiny, 43);
        Assert.Equal(first.Length, other.Length);
        Assert.NotEqual(Floats(first)[..80], Floats(other)[..80]);
    }

    [Fact]
    public void Unshared_classifier_is_flagged_by_a_negative_vocab_and_appended_after_freq_cis()
    {
        var config = Tiny with { SharedClassifier = false };
        using var folder = new TempFolder();
        var path = folder.File("model.bin");

        RandomModelWriter.WriteFile(path, config, 5, CancellationToken.None);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(-10, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20)));
        Assert.Equal(Tiny.FileBytes + (10 * 8 * 4), bytes.Length);
        Assert.Equal(config, LegacyModelConfig.Read(path));
        Assert.False(File.Exists(path + ".partial"));
    }

    [Fact]
    public void Rejects_a_shape_run_c_cannot_run()
    {
        var oddHeads = Tiny with { Heads = 3 };

        Assert.Throws<ArgumentException>(() => Write(oddHeads, 1));
    }

    [Fact]
    public void Stops_when_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var large = new LegacyModelConfig(256, 512, 2, 4, 4, 1024, 16, SharedClassifier: true);

        Assert.Throws<OperationCanceledException>(() => RandomModelWriter.Write(Stream.Null, large, 1, cancelled.Token));
    }
}
