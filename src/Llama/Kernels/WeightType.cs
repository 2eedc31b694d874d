namespace Llama.Kernels;

/// <summary>
/// How a weight matrix's rows are stored for the CPU kernels: plain floats, or llama.cpp's (GGML's) quantized blocks,
/// each block a scale (and for K-quants sub-block scales and mins) followed by small integers.
/// </summary>
public enum WeightType
{
    F32,
    F16,
    BF16,

    /// <summary>Blocks of 32: a float16 scale and 32 int8 (34 bytes).</summary>
    Q8_0,

    /// <summary>Blocks of 32: a float16 scale and 32 nibbles offset by 8 (18 bytes).</summary>
    Q4_0,

    /// <summary>Super-blocks of 256: float16 scale and min, 8 six-bit sub-scales and sub-mins, 256 nibbles (144 bytes).</summary>
    Q4_K,

    /// <summary>Super-blocks of 256: 256 six-bit values offset by 32, 16 int8 sub-scales, a float16 scale (210 bytes).</summary>
    Q6_K,
}

/// <summary>Block geometry of each <see cref="WeightType"/>.</summary>
public static class WeightTypes
{
    /// <summary>Elements per block (1 for the float types).</summary>
    public static int BlockElements(this WeightType type) => type switch
    {
        WeightType.F32 or WeightType.F16 or WeightType.BF16 => 1,
        WeightType.Q8_0 or WeightType.Q4_0 => 32,
        WeightType.Q4_K or WeightType.Q6_K => 256,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(this WeightType type) => type switch
    {
        WeightType.F32 => 4,
        WeightType.F16 or WeightType.BF16 => 2,
        WeightType.Q8_0 => 34,
        WeightType.Q4_0 => 18,
        WeightType.Q4_K => 144,
        WeightType.Q6_K => 210,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Bytes of one row of <paramref name="cols"/> elements, which must be a whole number of blocks.</summary>
    public static long RowBytes(this WeightType type, long cols) => cols / type.BlockElements() * type.BlockBytes();

    /// <summary>Parses a quantization name as llama.cpp spells it ("q8_0", "Q4_K", "f16").</summary>
    public static WeightType Parse(string text) => text.Trim().ToUpperInvariant() switch
    {
        "F32" or "FLOAT32" => WeightType.F32,
        "F16" or "FLOAT16" => WeightType.F16,
        "BF16" or "BFLOAT16" => WeightType.BF16,
        "Q8_0" => WeightType.Q8_0,
        "Q4_0" => WeightType.Q4_0,
        "Q4_K" => WeightType.Q4_K,
        "Q6_K" => WeightType.Q6_K,
        _ => throw new ArgumentException($"Unknown weight type '{text}': expected f32, f16, bf16, q8_0, q4_0, q4_k or q6_k."),
    };
}
