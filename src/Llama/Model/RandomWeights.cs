using Llama.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>
/// Weights of a model's shape drawn on its device from the device's own generator: normal with std
/// <see cref="Transformer.RandomWeightStd"/> for matrices, ones for norms. The same seed, shape, device, precision and
/// order of tensors give the same weights.
/// </summary>
internal sealed class RandomWeights
{
    private readonly IReadOnlyDictionary<string, long[]> _shapes;
    private readonly ScalarType _type;
    private readonly Device _device;

    /// <summary>Seeds the generators of every device (TorchSharp's explicit generators are CPU ones).</summary>
    public RandomWeights(ModelArgs args, ScalarType type, Device device, ulong seed)
    {
        _shapes = ExpectedShapes.For(args, Enumerable.Range(0, args.NLayers));
        _type = type;
        _device = device;
        torch.random.manual_seed((long)seed);
        if (device.type == DeviceType.CUDA)
        {
            torch.cuda.manual_seed_all((long)seed);
        }
    }

    /// <summary>The next tensor: tensor <paramref name="name"/>'s shape, drawn (a matrix) or ones (a norm).</summary>
    public Tensor Next(string name) => _shapes[name] is [var length] ? ones([length], _type, _device) : Normal(_shapes[name][0], _shapes[name][1]);

    // Drawn in float32 and rounded once, in bounded slices, so a 7B shape never holds a float32 copy of a whole matrix.
    private Tensor Normal(long rows, long columns)
    {
        var weight = empty([rows, columns], _type, _device);
        const long sliceElements = 1L << 26;
        var step = Math.Max(1, sliceElements / columns);
        for (long row = 0; row < rows; row += step)
        {
            var count = Math.Min(step, rows - row);
            using var slice = weight.narrow(0, row, count);
            using var drawn = randn([count, columns], ScalarType.Float32, _device);
            slice.copy_(drawn.mul_(Transformer.RandomWeightStd));
        }

        return weight;
    }
}
