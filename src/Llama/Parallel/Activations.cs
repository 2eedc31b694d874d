using static TorchSharp.torch;

namespace Llama.Parallel;

/// <summary>Activations as they travel between shards: float32 arrays, row-major.</summary>
internal static class Activations
{
    public static Tensor ToTensor(float[] data, long rows, long columns, ScalarType type, Device device)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.LongLength != rows * columns)
        {
            throw new ArgumentException($"Expected {rows} × {columns} activations, got {data.LongLength} values.", nameof(data));
        }

        using var host = tensor(data, [rows, columns]);
        return host.to(type, device);
    }

    public static float[] ToArray(Tensor t)
    {
        if (t.numel() == 0)
        {
            return [];
        }

        using var host = t.to_type(ScalarType.Float32).cpu().contiguous();
        return host.data<float>().ToArray();
    }
}
