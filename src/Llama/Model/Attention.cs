using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Llama.Model;

/// <summary>
/// Meta's Attention: grouped-query attention with rotary embeddings over the paged KV cache. The head counts come
/// from the weights, so a tensor-parallel rank's slices (its share of the heads, wo's matching columns) run the same
/// code and return their partial sum of the output.
/// </summary>
public sealed class Attention(ModelArgs args, Tensor wq, Tensor wk, Tensor wv, Tensor wo) : IDisposable
{
    public Tensor Wq { get; } = wq;

    public Tensor Wk { get; } = wk;

    public Tensor Wv { get; } = wv;

    public Tensor Wo { get; } = wo;

    /// <param name="x">Packed rows [rows, dim].</param>
    internal Tensor Forward(Tensor x, BatchLayout layout, RotaryEmbedding rope, Tensor cacheK, Tensor cacheV)
    {
        using var scope = NewDisposeScope();
        long n = layout.Rows, headDim = args.HeadDim, heads = Wq.shape[0] / headDim, kvHeads = Wk.shape[0] / headDim;
        var xq = rope.Apply(F.linear(x, Wq).view(1, n, heads, headDim), layout.Positions).view(n, heads, headDim);
        var xk = rope.Apply(F.linear(x, Wk).view(1, n, kvHeads, headDim), layout.Positions).view(n, kvHeads, headDim);
        var xv = F.linear(x, Wv).view(n, kvHeads, headDim);

        // Every row's key and value go into its block before any row attends: later rows of a chunk read earlier ones.
        var keysFlat = cacheK.view(-1, kvHeads, headDim);
        var valuesFlat = cacheV.view(-1, kvHeads, headDim);
        // The cache may hold another type than the compute's (a 16-bit KV cache): round on write, widen on read.
        keysFlat.index_copy_(0, layout.WriteRows, xk.to_type(cacheK.dtype));
        valuesFlat.index_copy_(0, layout.WriteRows, xv.to_type(cacheV.dtype));

        var output = zeros([n, heads, headDim], xq.dtype, xq.device);
        foreach (var group in layout.Groups)
        {
            long b = group.Batch, t = group.Time, keyLength = group.KeyLength;
            var q = xq.index_select(0, group.QueryRows).view(b, t, heads, headDim).transpose(1, 2);
            var k = RepeatKv(keysFlat.index_select(0, group.KeyRows).to_type(xq.dtype).view(b, keyLength, kvHeads, headDim)).transpose(1, 2);
            var v = RepeatKv(valuesFlat.index_select(0, group.KeyRows).to_type(xq.dtype).view(b, keyLength, kvHeads, headDim)).transpose(1, 2);
            var scores = (matmul(q, k.transpose(2, 3)) / Math.Sqrt(headDim)).to_type(ScalarType.Float32) + group.Mask;
            var probabilities = F.softmax(scores, -1).to_type(q.dtype);
            var attended = matmul(probabilities, v).transpose(1, 2).reshape(b * t, heads, headDim);
            output.index_copy_(0, group.QueryRows, attended);
        }

        return F.linear(output.view(n, heads * headDim), Wo).MoveToOuterDisposeScope();
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
