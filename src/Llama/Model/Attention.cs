using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Llama.Model;

/// <summary>Meta's Attention: grouped-query attention with rotary embeddings over a KV cache.</summary>
public sealed class Attention(ModelArgs args, Tensor wq, Tensor wk, Tensor wv, Tensor wo) : IDisposable
{
    public Tensor Wq { get; } = wq;

    public Tensor Wk { get; } = wk;

    public Tensor Wv { get; } = wv;

    public Tensor Wo { get; } = wo;

    internal Tensor Forward(Tensor x, BatchLayout layout, RotaryEmbedding rope, Tensor cacheK, Tensor cacheV)
    {
        using var scope = NewDisposeScope();
        long b = layout.Batch, t = layout.Time, heads = args.NHeads, kvHeads = args.KvHeads, headDim = args.HeadDim;
        var xq = rope.Apply(F.linear(x, Wq).view(b, t, heads, headDim), layout.Positions);
        var xk = rope.Apply(F.linear(x, Wk).view(b, t, kvHeads, headDim), layout.Positions);
        var xv = F.linear(x, Wv).view(b, t, kvHeads, headDim);

        // Store only real tokens: each (slot, position) pair gets its row of the padded batch.
        var indices = new[] { layout.WriteSlots, layout.WritePositions };
        cacheK.index_put_(xk.view(b * t, kvHeads, headDim).index_select(0, layout.WriteRows), indices);
        cacheV.index_put_(xv.view(b * t, kvHeads, headDim).index_select(0, layout.WriteRows), indices);

        var keys = RepeatKv(cacheK.narrow(1, 0, layout.KeyLength).index_select(0, layout.Slots));
        var values = RepeatKv(cacheV.narrow(1, 0, layout.KeyLength).index_select(0, layout.Slots));

        var q = xq.transpose(1, 2);
        var k = keys.transpose(1, 2);
        var v = values.transpose(1, 2);
        var scores = (matmul(q, k.transpose(2, 3)) / Math.Sqrt(headDim)).to_type(ScalarType.Float32) + layout.Mask;
        var probabilities = F.softmax(scores, -1).to_type(q.dtype);
        var output = matmul(probabilities, v).transpose(1, 2).contiguous().view(b, t, heads * headDim);
        return F.linear(output, Wo).MoveToOuterDisposeScope();
    }

    /// <summary>Meta's repeat_kv: each KV head serves n_heads / n_kv_heads consecutive query heads.</summary>
    private Tensor RepeatKv(Tensor x)
    {
        var repeats = args.NHeads / args.KvHeads;
        if (repeats == 1)
        {
            return x;
        }

        var s = x.shape;
        return x.unsqueeze(3).expand(s[0], s[1], s[2], repeats, s[3]).reshape(s[0], s[1], s[2] * repeats, s[3]);
    }

    public void Dispose()
    {
        Wq.Dispose();
        Wk.Dispose();
        Wv.Dispose();
        Wo.Dispose();
    }
}
