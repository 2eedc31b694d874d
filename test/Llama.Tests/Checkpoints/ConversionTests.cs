using Llama.Checkpoints;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

namespace Llama.Tests.Checkpoints;

public class ConversionTests
{
    [Fact]
    public void Tensors_larger_than_the_staging_buffer_convert_exactly()
    {
        // Embeddings of 4608 x 1024 bfloat16 (9 MiB) exceed the 8 MiB staging buffer, and their
        // model-parallel rows (two 1 KiB runs each) straddle its boundary.
        var p = new SyntheticParams(Dim: 1024, Layers: 1, Heads: 8, KvHeads: 8, Vocab: 4608, MultipleOf: 256);
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("params.json"), p.Json);
        for (var rank = 0; rank < 2; rank++)
        {
            var tensors = SyntheticMeta.Tensors(p)
                .Select((t, i) => MetaShardLayout.SplitDimension(t.Name) is null
                    ? t
                    : SyntheticMeta.BFloat16(t.Name, MetaShardLayout.ShardShape(t.Name, t.Shape, 2), (1000 * rank) + i))
                .ToList();
            PthWriter.Write(folder.File($"consolidated.0{rank}.pth"), tensors, $"consolidated.0{rank}");
        }

        using var checkpoint = MetaCheckpoint.Open(folder.Path);
        foreach (var name in checkpoint.TensorNames)
        {
            using var stored = checkpoint.Load(name, ScalarType.BFloat16, CPU);
            foreach (var type in new[] { ScalarType.Float32, ScalarType.Float16 })
            {
                using var converted = checkpoint.Load(name, type, CPU);
                Assert.Equal(type, converted.dtype);
                Assert.True(Fixtures.Bytes(stored.to(type)).AsSpan().SequenceEqual(Fixtures.Bytes(converted.alias())), $"{name} as {type}");
            }
        }
    }
}
