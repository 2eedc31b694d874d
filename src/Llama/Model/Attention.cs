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
            var q = xq.index_select(0, group.QueryRows).view(b, t, heads, headDim);
            var k = keysFlat.index_select(0, group.KeyRows).to_type(xq.dtype).view(b, keyLength, kvHeads, headDim).transpose(1, 2);
            var v = valuesFlat.index_select(0, group.KeyRows).to_type(xq.dtype).view(b, keyLength, kvHeads, headDim).transpose(1, 2);
            // A whole prompt at once without grouped heads is plain causal attention: the fused kernel needs no mask.
            var attended = group.Causal && heads == kvHeads
                ? F.scaled_dot_product_attention(q.transpose(1, 2), k, v, is_casual: true).transpose(1, 2)
                : Grouped(q, k, v, group.Mask, heads / kvHeads);
            output.index_copy_(0, group.QueryRows, attended.reshape(b * t, heads, headDim));
        }

        return F.linear(output.view(n, heads * headDim), Wo).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Fused attention of queries [b, t, heads, headDim] over keys and values [b, kvHeads, keyLength, headDim] under an
    /// additive mask [b, 1, t, keyLength], returning [b, t, heads, headDim]. Grouped-query attention without copying
    /// key heads: the <paramref name="groups"/> query heads that share a key head ride as extra query rows of it.
    /// </summary>
    private static Tensor Grouped(Tensor q, Tensor k, Tensor v, Tensor mask, long groups)
    {
        long b = q.shape[0], t = q.shape[1], heads = q.shape[2], headDim = q.shape[3], kvHeads = k.shape[1], keyLength = k.shape[2];
        var rows = q.view(b, t, kvHeads, groups, headDim).permute(0, 2, 3, 1, 4).reshape(b, kvHeads, groups * t, headDim);
        var rowMask = mask.to_type(q.dtype).view(b, 1, 1, t, keyLength).expand(b, 1, groups, t, keyLength).reshape(b, 1, groups * t, keyLength);
        var attended = F.scaled_dot_product_attention(rows, k, v, rowMask);
        return attended.view(b, kvHeads, groups, t, headDim).permute(0, 3, 1, 2, 4).reshape(b, t, heads, headDim);
    }

    public void Dispose()
    {
        Wq.Dispose();
        Wk.Dispose();
        Wv.Dispose();
        Wo.Dispose();
    }
}
