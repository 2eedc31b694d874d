using Llama.Model;
using static TorchSharp.torch;

namespace Llama.Tests.Kernels;

/// <summary>KV cache contents as the attention kernels read them, in any of the cache's element types.</summary>
internal static class KvTestData
{
    /// <summary>
    /// <paramref name="values"/> stored as <paramref name="dtype"/> by libtorch's own conversion (the bytes a 16-bit
    /// cache holds), and those stored values widened back to float (what the kernels must compute with).
    /// </summary>
    public static (byte[] Bytes, float[] Stored) Store(float[] values, string dtype)
    {
        using var original = tensor(values);
        using var stored = original.to_type(EngineOptions.ParseDType(dtype));
        using var widened = stored.to_type(ScalarType.Float32);
        return (stored.bytes.ToArray(), widened.data<float>().ToArray());
    }
}
