using System.Runtime.InteropServices;

namespace Llama.Bench;

/// <summary>
/// Writes a deterministic random-weight model in llama2.c's legacy <c>.bin</c> format (layout in
/// <see cref="LegacyModelConfig"/>), streaming through a small buffer so a 440 MB model never sits in memory.
/// </summary>
internal static class RandomModelWriter
{
    public const float WeightStd = 0.02f;

    // Meta's and llama2.c's rotary base.
    private const double RopeTheta = 10000.0;

    private const int ChunkFloats = 1 << 18;

    /// <summary>
    /// Writes the model to <paramref name="path"/> through a temporary file, so an interrupted write never
    /// leaves a truncated file that looks cached.
    /// </summary>
    public static void WriteFile(string path, LegacyModelConfig config, ulong seed, CancellationToken cancellationToken)
    {
        var temporary = path + ".partial";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Write(stream, config, seed, cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Writes the model: the header, then every tensor in file order; weight matrices draw from one
    /// SplitMix64 stream seeded by <paramref name="seed"/> (std <see cref="WeightStd"/>), norms are 1.0, and
    /// freq_cis holds cos / sin of pos · theta^(−2i / head_dim) as llama2.c exports it (run.c skips it).
    /// </summary>
    public static void Write(Stream stream, LegacyModelConfig config, ulong seed, CancellationToken cancellationToken)
    {
        config.Validate();
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The llama2.c format is little-endian; this writer needs a little-endian host.");
        }

        stream.Write(config.EncodeHeader());
        var writer = new ChunkWriter(stream, cancellationToken);
        var random = new SplitMix64(seed);
        long layers = config.Layers;
        long dim = config.Dim;

        writer.Random(config.VocabSize * dim, ref random);
        writer.Ones(layers * dim);
        writer.Random(layers * dim * dim, ref random);
        writer.Random(layers * config.KvDim * dim, ref random);
        writer.Random(layers * config.KvDim * dim, ref random);
        writer.Random(layers * dim * dim, ref random);
        writer.Ones(layers * dim);
        writer.Random(layers * config.HiddenDim * dim, ref random);
        writer.Random(layers * dim * config.HiddenDim, ref random);
        writer.Random(layers * config.HiddenDim * dim, ref random);
        writer.Ones(dim);
        writer.Rotary(config, Math.Cos);
        writer.Rotary(config, Math.Sin);
        if (!config.SharedClassifier)
        {
            writer.Random(config.VocabSize * dim, ref random);
        }

        writer.Flush();
    }

    /// <summary>Fills a reusable float buffer and writes it out whenever it is full.</summary>
    private sealed class ChunkWriter(Stream stream, CancellationToken cancellationToken)
    {
        private readonly float[] _chunk = new float[ChunkFloats];
        private int _used;

        public void Random(long count, ref SplitMix64 random)
        {
            for (var i = 0L; i < count; i++)
            {
                Add(random.NextNormalish(WeightStd));
            }
        }

        public void Ones(long count)
        {
            for (var i = 0L; i < count; i++)
            {
                Add(1f);
            }
        }

        public void Rotary(LegacyModelConfig config, Func<double, double> part)
        {
            var pairs = config.HeadDim / 2;
            for (var pos = 0; pos < config.SeqLen; pos++)
            {
                for (var i = 0; i < pairs; i++)
                {
                    var frequency = Math.Pow(RopeTheta, -2.0 * i / config.HeadDim);
                    Add((float)part(pos * frequency));
                }
            }
        }

        public void Flush()
        {
            stream.Write(MemoryMarshal.AsBytes(_chunk.AsSpan(0, _used)));
            _used = 0;
        }

        private void Add(float value)
        {
            _chunk[_used++] = value;
            if (_used == _chunk.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Flush();
            }
        }
    }
}
