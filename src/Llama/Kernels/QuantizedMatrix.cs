using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Kernels;

/// <summary>Quantize-at-load: a float32 matrix turned into rows of blocks, held as a uint8 tensor [rows, bytes per row].</summary>
internal static class QuantizedMatrix
{
    public static Tensor From(Tensor weight, WeightType type)
    {
        var (rows, cols) = ((int)weight.shape[0], (int)weight.shape[1]);
        var rowBytes = (int)type.RowBytes(cols);
        var result = empty([rows, rowBytes], ScalarType.Byte, CPU);
        using var contiguous = weight.contiguous();
        var source = MemoryMarshal.Cast<byte, float>(contiguous.bytes);
        var target = result.bytes;
        for (var r = 0; r < rows; r++)
        {
            Quantize.Row(type, source.Slice(r * cols, cols), target.Slice(r * rowBytes, rowBytes));
        }

        return result;
    }
}
