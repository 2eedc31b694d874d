using System.Globalization;
using System.Runtime.InteropServices;

namespace LlamaOrleans.Testing.Checkpoints;

/// <summary>Architecture numbers of a made-up Meta checkpoint (Meta's params.json fields).</summary>
public sealed record SyntheticParams(int Dim, int Layers, int Heads, int KvHeads, int Vocab, int MultipleOf)
{
    /// <summary>Meta's FeedForward rule.</summary>
    public int Hidden => MultipleOf * ((((int)(2 * 4 * Dim / 3.0)) + MultipleOf - 1) / MultipleOf);

    public string Json => string.Create(
        CultureInfo.InvariantCulture,
        $$"""{"dim": {{Dim}}, "n_layers": {{Layers}}, "n_heads": {{Heads}}, "n_kv_heads": {{KvHeads}}, "vocab_size": {{Vocab}}, "multiple_of": {{MultipleOf}}, "norm_eps": 1e-05}""");
}

/// <summary>
/// Writes Meta-layout checkpoints of any size with deterministic bfloat16 weights: params.json plus
/// consolidated.00.pth, for tests of failure paths and for memory measurements.
/// </summary>
public static class SyntheticMeta
{
    /// <summary>Writes params.json and a single shard into <paramref name="folder"/>; returns the shard's size.</summary>
    public static long Write(string folder, SyntheticParams p)
    {
        File.WriteAllText(Path.Combine(folder, "params.json"), p.Json);
        var shard = Path.Combine(folder, "consolidated.00.pth");
        PthWriter.Write(shard, Tensors(p), "consolidated.00");
        return new FileInfo(shard).Length;
    }

    /// <summary>Every tensor of the model under Meta's names, in Meta's order, bfloat16.</summary>
    public static List<PthTensor> Tensors(SyntheticParams p)
    {
        long dim = p.Dim, kv = (long)p.KvHeads * (p.Dim / p.Heads), hidden = p.Hidden, vocab = p.Vocab;
        var shapes = new List<(string, long[])> { ("tok_embeddings.weight", [vocab, dim]), ("norm.weight", [dim]), ("output.weight", [vocab, dim]) };
        for (var l = 0; l < p.Layers; l++)
        {
            shapes.Add(($"layers.{l}.attention.wq.weight", [dim, dim]));
            shapes.Add(($"layers.{l}.attention.wk.weight", [kv, dim]));
            shapes.Add(($"layers.{l}.attention.wv.weight", [kv, dim]));
            shapes.Add(($"layers.{l}.attention.wo.weight", [dim, dim]));
            shapes.Add(($"layers.{l}.feed_forward.w1.weight", [hidden, dim]));
            shapes.Add(($"layers.{l}.feed_forward.w2.weight", [dim, hidden]));
            shapes.Add(($"layers.{l}.feed_forward.w3.weight", [hidden, dim]));
            shapes.Add(($"layers.{l}.attention_norm.weight", [dim]));
            shapes.Add(($"layers.{l}.ffn_norm.weight", [dim]));
        }

        return shapes.Select((s, i) => BFloat16(s.Item1, s.Item2, i + 1)).ToList();
    }

    /// <summary>A bfloat16 tensor of deterministic finite values in (-1, 1).</summary>
    public static PthTensor BFloat16(string name, long[] shape, int seed) =>
        new(name, "BFloat16Storage", 2, shape, stream => WriteValues(stream, shape.Aggregate(1L, (a, b) => a * b), seed));

    private static void WriteValues(Stream stream, long count, int seed)
    {
        // A block of values repeated: cheap enough for gigabyte files, varied enough to catch misplaced bytes.
        const int Block = 1 << 16;
        var random = new Random(seed);
        var values = new ushort[Block];
        for (var i = 0; i < Block; i++)
        {
            var f = (float)((random.NextDouble() * 2) - 1);
            values[i] = (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16);
        }

        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        for (var left = count; left > 0; left -= Block)
        {
            stream.Write(bytes[..(int)(Math.Min(left, Block) * 2)]);
        }
    }
}
