using Llama.Kernels;

namespace Llama.Checkpoints.Gguf;

/// <summary>GGML's tensor type numbers for the types the engine reads, and names for the others in messages.</summary>
internal static class GgufTypes
{
    /// <summary>The weight type of GGML type number <paramref name="id"/>, or null when the engine cannot read it.</summary>
    public static WeightType? Of(uint id) => id switch
    {
        0 => WeightType.F32,
        1 => WeightType.F16,
        2 => WeightType.Q4_0,
        8 => WeightType.Q8_0,
        12 => WeightType.Q4_K,
        14 => WeightType.Q6_K,
        30 => WeightType.BF16,
        _ => null,
    };

    public static uint Id(WeightType type) => type switch
    {
        WeightType.F32 => 0,
        WeightType.F16 => 1,
        WeightType.Q4_0 => 2,
        WeightType.Q8_0 => 8,
        WeightType.Q4_K => 12,
        WeightType.Q6_K => 14,
        WeightType.BF16 => 30,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>GGML's name of a type number, for messages about types the engine does not read.</summary>
    public static string Name(uint id) => id switch
    {
        3 => "Q4_1",
        6 => "Q5_0",
        7 => "Q5_1",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        13 => "Q5_K",
        15 => "Q8_K",
        _ => Of(id)?.ToString() ?? $"type {id}",
    };
}
