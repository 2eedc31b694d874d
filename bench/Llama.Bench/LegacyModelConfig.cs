using System.Buffers.Binary;

namespace Llama.Bench;

/// <summary>
/// Shape of a model in llama2.c's legacy <c>.bin</c> format, which both run.c and our engine read.
/// </summary>
/// <remarks>
/// Format (all little-endian): a header of 7 int32 — dim, hidden_dim, n_layers, n_heads, n_kv_heads,
/// vocab_size, seq_len; a negative vocab_size means the classifier is stored separately instead of
/// being shared with the token embedding. Then float32 tensors, row-major, in this order:
/// token_embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim], wk [L, kv_dim, dim],
/// wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim], w1 [L, hidden, dim], w2 [L, dim, hidden],
/// w3 [L, hidden, dim], rms_final [dim], freq_cis_real [seq_len, head_dim / 2],
/// freq_cis_imag [seq_len, head_dim / 2], and, only when not shared, wcls [vocab, dim].
/// kv_dim = dim / n_heads * n_kv_heads.
/// </remarks>
internal sealed record LegacyModelConfig(
    int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int VocabSize, int SeqLen, bool SharedClassifier)
{
    public const int HeaderBytes = 7 * sizeof(int);

    /// <summary>The Llama 2 110M shape (llama2.c's stories110M), with the 32,000-token vocabulary.</summary>
    public static LegacyModelConfig Shape110M { get; } = new(768, 2048, 12, 12, 12, 32000, 1024, SharedClassifier: true);

    public int HeadDim => Dim / Heads;

    public int KvDim => HeadDim * KvHeads;

    /// <summary>Floats in the transformer layers (norms and projections), all layers together.</summary>
    public long LayerWeightCount =>
        (long)Layers * ((2L * Dim) + (2L * Dim * Dim) + (2L * KvDim * Dim) + (3L * HiddenDim * Dim));

    /// <summary>Floats of one freq_cis table (real or imaginary part).</summary>
    public long FreqCisCount => (long)SeqLen * (HeadDim / 2);

    /// <summary>Exact size of a file of this shape.</summary>
    public long FileBytes =>
        HeaderBytes + (sizeof(float) * (((long)VocabSize * Dim) + LayerWeightCount + Dim + (2 * FreqCisCount)
            + (SharedClassifier ? 0 : (long)VocabSize * Dim)));

    /// <summary>
    /// Weight bytes one decode step streams from memory: every layer, the final norm and the classifier
    /// [vocab, dim]. The embedding lookup reads only one row, so it adds nothing beyond the classifier when
    /// the two are shared and one row when they are not; freq_cis is never read.
    /// </summary>
    public long WeightBytesPerToken =>
        sizeof(float) * (LayerWeightCount + Dim + ((long)VocabSize * Dim) + (SharedClassifier ? 0 : Dim));

    /// <summary>Throws <see cref="ArgumentException"/> unless the shape is one run.c can run.</summary>
    public void Validate()
    {
        if (Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || VocabSize <= 0 || SeqLen <= 0)
        {
            throw new ArgumentException($"Model shape has a non-positive dimension: {this}.");
        }

        if (Dim % Heads != 0 || HeadDim % 2 != 0 || Heads % KvHeads != 0)
        {
            throw new ArgumentException(
                $"Model shape needs dim divisible by n_heads into an even head_dim, and n_heads divisible by n_kv_heads: {this}.");
        }
    }

    public byte[] EncodeHeader()
    {
        var header = new byte[HeaderBytes];
        int[] fields = [Dim, HiddenDim, Layers, Heads, KvHeads, SharedClassifier ? VocabSize : -VocabSize, SeqLen];
        for (var i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(i * sizeof(int)), fields[i]);
        }

        return header;
    }

    /// <summary>Reads the header of a legacy <c>.bin</c> file and checks the file has the size it implies.</summary>
    public static LegacyModelConfig Read(string path)
    {
        using var stream = File.OpenRead(path);
        var header = new byte[HeaderBytes];
        if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
        {
            throw new BenchException($"{path}: shorter than the {HeaderBytes}-byte llama2.c header.");
        }

        int Field(int i) => BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(i * sizeof(int)));
        var vocab = Field(5);
        var vocabSize = vocab == int.MinValue ? 0 : Math.Abs(vocab);
        var config = new LegacyModelConfig(Field(0), Field(1), Field(2), Field(3), Field(4), vocabSize, Field(6), vocab > 0);
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new BenchException($"{path}: not a llama2.c model. {e.Message}", e);
        }

        if (stream.Length != config.FileBytes)
        {
            throw new BenchException($"{path}: {stream.Length} bytes, but its header implies {config.FileBytes}.");
        }

        return config;
    }
}
