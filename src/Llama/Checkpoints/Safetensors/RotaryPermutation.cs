namespace Llama.Checkpoints.Safetensors;

/// <summary>
/// Hugging Face's Llama conversion reorders the rows of wq and wk so that its rotate_half RoPE pairs
/// dimension i with i + head_dim/2 instead of Meta's interleaved 2i, 2i+1:
/// <c>w.view(heads, head_dim/2, 2, in).transpose(1, 2).reshape(out, in)</c>. This undoes it.
/// </summary>
internal static class RotaryPermutation
{
    /// <summary>For each Meta row, the Hugging Face row it comes from.</summary>
    public static long[] MetaRowSources(int heads, int headDim)
    {
        var half = headDim / 2;
        var sources = new long[(long)heads * headDim];
        for (var h = 0; h < heads; h++)
        {
            for (var i = 0; i < half; i++)
            {
                for (var k = 0; k < 2; k++)
                {
                    sources[(h * headDim) + (2 * i) + k] = (h * headDim) + (k * half) + i;
                }
            }
        }

        return sources;
    }
}
