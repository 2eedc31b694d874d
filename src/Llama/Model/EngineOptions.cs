using Llama.Kernels;
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
    /// Run float32 CPU models on the engine's own kernels (attention over the paged cache in place,
    /// vectorized matrix-vector products across threads); false runs every step on libtorch tensors.
    /// </summary>
    public bool CpuKernels { get; init; } = true;

    /// <summary>
    /// With <see cref="CpuKernels"/>, matrix products of at most this many rows use the engine's GEMV
    /// (libtorch's matrix-vector product does not scale across cores); larger ones use libtorch's GEMM.
    /// </summary>
    public int CpuGemvMaxRows { get; init; } = 256;

    /// <summary>
    /// On CUDA, replay decode steps as CUDA graphs when the graph library (native/cuda-graphs) is present; false, or
    /// without it, decode runs eagerly.
    /// </summary>
    public bool CudaGraphs { get; init; } = true;

    /// <summary>
    /// Element type of the KV cache: float32, bfloat16 or float16; null stores keys and values in the compute
    /// precision. On the CPU a 16-bit cache halves the bytes a decode row reads from its history (and the memory a
    /// token holds); attention still computes in float32, widening each element as it reads it.
    /// </summary>
    public ScalarType? KvCacheDType { get; init; }

    /// <summary>
    /// Quantize float weight matrices when loading (<see cref="WeightType.Q8_0"/> or <see cref="WeightType.Q4_0"/>),
    /// for the CPU kernels; null keeps them as the checkpoint stores them. GGUF files are already in blocks.
    /// </summary>
    public WeightType? Quantization { get; init; }

    /// <summary>Parses a quantize-at-load setting: "q8_0", "q4_0", or "none".</summary>
    public static WeightType? ParseQuantization(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null
        : text.Trim().ToLowerInvariant() switch
        {
            "none" => null,
            "q8_0" => WeightType.Q8_0,
            "q4_0" => WeightType.Q4_0,
            _ => throw new ArgumentException($"Unknown quantization '{text}': expected q8_0, q4_0 or none."),
        };

    /// <summary>Positions per KV-cache block: sequences take memory a block at a time as they grow.</summary>
    public int KvBlockSize { get; init; } = 16;

    /// <summary>
    /// Memory for the KV cache in bytes. With none of the three budgets the cache holds max_batch_size
    /// full-length sequences, as Meta's.
    /// </summary>
    public long? KvCacheBytes { get; init; }

    /// <summary>
    /// Memory for the KV cache as a fraction of the memory available to this process on the CPU, or of the device's
    /// free memory once the weights are loaded on CUDA.
    /// </summary>
    public double? KvCacheMemoryFraction { get; init; }

    /// <summary>Memory for the KV cache as this many sequences of max_seq_len positions.</summary>
    public int? KvCacheSequences { get; init; }

    /// <summary>
    /// Blocks the KV cache gets: from <see cref="KvCacheBytes"/> or <see cref="KvCacheMemoryFraction"/>, else
    /// enough for <paramref name="maxBatchSize"/> sequences of <paramref name="maxSeqLen"/> (Meta's static cache).
    /// </summary>
    public int ResolveKvBlocks(ModelArgs args, ScalarType type, Device device, int maxSeqLen, int maxBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(KvBlockSize, 1, nameof(KvBlockSize));
        var perSequence = (maxSeqLen + KvBlockSize - 1) / KvBlockSize;
        var blockBytes = KvBlockPool.BytesPerTokenOf(args, type) * KvBlockSize;
        if (new object?[] { KvCacheBytes, KvCacheMemoryFraction, KvCacheSequences }.Count(b => b is not null) > 1)
        {
            throw new ArgumentException("Give the KV cache budget one way: as bytes, as a memory fraction or as sequences, not several.");
        }

        if (KvCacheSequences is { } sequences)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(sequences, 1, nameof(KvCacheSequences));
            return checked(perSequence * sequences);
        }

        long? budget = KvCacheBytes;
        if (KvCacheMemoryFraction is { } fraction)
        {
            if (double.IsNaN(fraction) || fraction <= 0 || fraction > 1)
            {
                throw new ArgumentException($"KV cache memory fraction must be in (0, 1], got {fraction}.");
            }

            // On a GPU, of the memory still free once the weights are in place (the model resolves its blocks after loading them).
            budget = device.type == DeviceType.CUDA
                ? (long)(CudaMemory.Info(device.index < 0 ? 0 : device.index).Free * fraction)
                : (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * fraction);
        }

        if (budget is null)
        {
            return checked(perSequence * maxBatchSize);
        }

        var blocks = budget.Value / blockBytes;
        if (blocks < perSequence)
        {
            throw new ArgumentException(
                $"A KV cache of {budget.Value} bytes holds {blocks} blocks of {KvBlockSize} positions ({blockBytes} bytes each), " +
                $"fewer than the {perSequence} blocks one sequence of max_seq_len {maxSeqLen} needs.");
        }

        return (int)Math.Min(blocks, int.MaxValue);
    }

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

    /// <summary>The KV cache's element type for a model computing in <paramref name="compute"/>.</summary>
    public ScalarType ResolveKvCacheDType(ScalarType compute) => KvCacheDType ?? compute;

    /// <summary>Parses "float32", "bfloat16", "float16" (and their short forms).</summary>
    public static ScalarType ParseDType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => ScalarType.Float16,
        _ => throw new ArgumentException($"Unknown dtype '{text}': expected float32, bfloat16 or float16."),
    };

    /// <summary>Parses a KV cache type as <see cref="ParseDType"/> does, naming the setting in its error.</summary>
    public static ScalarType ParseKvCacheDType(string text)
    {
        try
        {
            return ParseDType(text);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"Unknown KV cache dtype '{text}': expected float32, bfloat16 or float16.");
        }
    }
}
