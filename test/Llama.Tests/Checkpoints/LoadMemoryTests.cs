using Llama.Checkpoints;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Checkpoints;

/// <summary>Memory measurements need the process to themselves: no test runs beside them.</summary>
[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

[Collection(nameof(MemoryMeasurement))]
public class LoadMemoryTests
{
    private const long Slack = 64L << 20;

    [Fact]
    public void Loading_every_tensor_stays_within_file_size_plus_tensors_plus_a_constant()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self");
        using var folder = new TempFolder();
        // About 260 MB of bfloat16: 9 layers of dim 1024 and an 8192-token vocabulary.
        var fileBytes = SyntheticMeta.Write(folder.Path, new SyntheticParams(Dim: 1024, Layers: 9, Heads: 8, KvHeads: 8, Vocab: 8192, MultipleOf: 256));
        Assert.InRange(fileBytes, 250L << 20, 270L << 20);
        using var checkpoint = MetaCheckpoint.Open(folder.Path);
        // libtorch's first conversions map code and allocate thread pools; that is not loading.
        checkpoint.Load(TensorNames.Norm, ScalarType.Float32, CPU).Dispose();

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = ProcessMemory.Resident;
        var managedBefore = GC.GetTotalAllocatedBytes(precise: true);
        ProcessMemory.ResetPeak();

        var tensors = checkpoint.TensorNames.Select(n => checkpoint.Load(n, ScalarType.Float32, CPU)).ToList();

        var peak = ProcessMemory.Peak - baseline;
        var managed = GC.GetTotalAllocatedBytes(precise: true) - managedBefore;
        var converted = tensors.Sum(t => t.numel() * t.element_size());
        tensors.ForEach(t => t.Dispose());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"file {fileBytes >> 20} MiB, float32 tensors {converted >> 20} MiB, peak RSS growth {peak >> 20} MiB, managed allocations {managed >> 10} KiB");

        Assert.InRange(converted, (2 * fileBytes) - (1L << 20), 2 * fileBytes);
        Assert.True(
            peak <= fileBytes + converted + Slack,
            $"peak RSS grew by {peak >> 20} MiB while loading; file {fileBytes >> 20} MiB + tensors {converted >> 20} MiB + {Slack >> 20} MiB allowed");
        // The weights pass from the memory map straight into native tensors, never through the managed heap.
        Assert.True(managed < 8L << 20, $"{managed >> 20} MiB allocated on the managed heap while loading");
    }
}
