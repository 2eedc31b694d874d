using static TorchSharp.torch;

namespace Llama.Checkpoints.Storage;

/// <summary>The element types checkpoints may store weights in, and their names in each format.</summary>
internal static class StoredTypes
{
    public const string Supported = "bfloat16, float16, float32";

    public static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        ScalarType.Float32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a checkpoint element type."),
    };

    /// <summary>PyTorch's name, as in <c>torch.bfloat16</c>.</summary>
    public static string Name(ScalarType type) => type switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float32 => "float32",
        _ => type.ToString(),
    };

    /// <summary>The element type of a legacy torch storage class (<c>torch.BFloat16Storage</c>), or null.</summary>
    public static ScalarType? FromTorchStorage(string className) => className switch
    {
        "BFloat16Storage" => ScalarType.BFloat16,
        "HalfStorage" => ScalarType.Float16,
        "FloatStorage" => ScalarType.Float32,
        _ => null,
    };

    /// <summary>The element type of a safetensors dtype string (<c>BF16</c>), or null.</summary>
    public static ScalarType? FromSafetensors(string dtype) => dtype switch
    {
        "BF16" => ScalarType.BFloat16,
        "F16" => ScalarType.Float16,
        "F32" => ScalarType.Float32,
        _ => null,
    };

    /// <summary>The type most of the bytes are stored in (a checkpoint may keep e.g. norms in float32).</summary>
    public static ScalarType Predominant(IEnumerable<StoredTensor> tensors) =>
        tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteLength)).Select(g => g.Key).FirstOrDefault(ScalarType.Float32);
}
