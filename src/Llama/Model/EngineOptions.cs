using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>Where and how a model runs: device, compute precision and CPU threads.</summary>
public sealed record EngineOptions
{
    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Compute precision; null picks float32 on CPU and bfloat16 on CUDA.</summary>
    public ScalarType? DType { get; init; }

    /// <summary>CPU threads for tensor work; null uses every core.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Use the engine's own vectorized CPU kernels for decode steps of at most this many sequences
    /// (float32 on CPU only); libtorch's matrix-vector product does not scale across cores, these do.
    /// 0 turns them off.
    /// </summary>
    public int CpuDecodeMaxBatch { get; init; } = 4;

    /// <summary>Parses and checks <see cref="Device"/>; throws a clear error for unknown or unavailable devices.</summary>
    public Device ResolveDevice()
    {
        var text = Device.Trim().ToLowerInvariant();
        if (text == "cpu")
        {
            return CPU;
        }

        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            var index = 0;
            if (text.Length > 4 && !int.TryParse(text.AsSpan(5), out index))
            {
                throw new ArgumentException($"Unknown device '{Device}': expected cpu, cuda or cuda:N.");
            }

            if (!cuda.is_available())
            {
                throw new ArgumentException(
                    $"Device '{Device}' is not available: this build has no usable CUDA (build with -p:LlamaGpu=true on a GPU host).");
            }

            return new Device(DeviceType.CUDA, index);
        }

        throw new ArgumentException($"Unknown device '{Device}': expected cpu, cuda or cuda:N.");
    }

    public ScalarType ResolveDType(Device device) =>
        DType ?? (device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32);

    /// <summary>Parses "float32", "bfloat16", "float16" (and their short forms).</summary>
    public static ScalarType ParseDType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => ScalarType.Float16,
        _ => throw new ArgumentException($"Unknown dtype '{text}': expected float32, bfloat16 or float16."),
    };
}
