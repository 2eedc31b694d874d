using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Kernels;

/// <summary>
/// A weight matrix as libtorch holds it and as a raw pointer to the same memory: float32 elements, or the bytes of
/// its rows of blocks, as stored or repacked in <see cref="PanelMatrix"/> panels.
/// </summary>
internal readonly unsafe struct CpuWeight(Tensor tensor, WeightType type, bool panels = false)
{
    public Tensor Tensor { get; } = tensor;

    public WeightType Type { get; } = type;

    /// <summary>Whether the rows of blocks are repacked in panels (<see cref="PanelMatrix.Pack"/>).</summary>
    public bool Panels { get; } = panels;

    public byte* Data { get; } = Address(tensor, type == WeightType.F32 ? ScalarType.Float32 : ScalarType.Byte);

    /// <summary>Bytes per row of a block-stored matrix.</summary>
    public long RowBytes { get; } = type == WeightType.F32 ? 0 : tensor.shape[1];

    /// <summary>Where a contiguous CPU tensor of <paramref name="type"/> keeps its elements.</summary>
    public static byte* Address(Tensor tensor, ScalarType type)
    {
        if (!tensor.is_contiguous() || tensor.dtype != type || tensor.device_type != DeviceType.CPU)
        {
            throw new InvalidOperationException($"CPU kernels need contiguous {type} CPU tensors.");
        }

        fixed (byte* data = tensor.bytes)
        {
            // libtorch owns this memory (or maps it) and never moves it while the tensor lives.
            return data;
        }
    }
}
