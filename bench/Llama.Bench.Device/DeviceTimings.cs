using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Llama.Bench.Device;

/// <summary>The device's own limits, measured in the run: copy bandwidth and dense matrix-product rate.</summary>
internal static class DeviceTimings
{
    public static void Synchronize(torch.Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }
    }

    /// <summary>
    /// Device-to-device copy bandwidth in bytes per second, read plus write (as STREAM's copy counts it), of a
    /// <paramref name="bytes"/>-byte buffer: the best of several copies.
    /// </summary>
    public static double CopyBandwidth(torch.Device device, long bytes)
    {
        using var _ = no_grad();
        using var source = ones([bytes / 2], ScalarType.BFloat16, device);
        using var target = empty([bytes / 2], ScalarType.BFloat16, device);
        var best = double.MaxValue;
        for (var i = 0; i < 12; i++)
        {
            Synchronize(device);
            var clock = Stopwatch.StartNew();
            target.copy_(source);
            Synchronize(device);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return 2.0 * bytes / best;
    }

    /// <summary>Dense matrix-product rate in FLOP/s of an n × n × n product in <paramref name="type"/>: the best of several.</summary>
    public static double GemmRate(torch.Device device, int n, ScalarType type)
    {
        using var _ = no_grad();
        using var a = randn([n, n], type, device);
        using var b = randn([n, n], type, device);
        var best = double.MaxValue;
        for (var i = 0; i < 8; i++)
        {
            Synchronize(device);
            var clock = Stopwatch.StartNew();
            using (a.matmul(b))
            {
                Synchronize(device);
            }

            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return 2.0 * n * n * (double)n / best;
    }
}
