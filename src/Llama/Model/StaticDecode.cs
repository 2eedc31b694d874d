using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>
/// A decode step of a fixed <see cref="DecodeBucket"/> over device buffers updated in place: a step copies its
/// tokens, positions, write rows, lengths and block tables in one int64 transfer and its sampling settings in one
/// float64 transfer, then runs <see cref="Step"/>, which reads only these buffers and writes only
/// <see cref="OutTokens"/> and <see cref="OutLogits"/>, so a CUDA graph can capture and replay it. Rows past the
/// step's sequences are padding: they write the pool's scratch row and see one key.
/// </summary>
internal sealed class StaticDecode : IDisposable
{
    private readonly Transformer _model;
    private readonly long[] _hostInts;
    private readonly double[] _hostFloats;
    private readonly Tensor _ints;
    private readonly Tensor _floats;
    private readonly Tensor _keyIndex;
    private readonly Tensor _rows;
    private readonly int _keyLength;

    public StaticDecode(Transformer model, DecodeBucket bucket)
    {
        _model = model;
        Bucket = bucket;
        int batch = bucket.Batch, blockSize = model.Cache.BlockSize;
        _keyLength = bucket.KeyBlocks * blockSize;
        var device = model.Device;
        // tokens | positions | write rows | lengths | key rows [batch × keyLength]
        _hostInts = new long[(batch * 4) + (batch * _keyLength)];
        _ints = zeros([_hostInts.Length], ScalarType.Int64, device);
        // temperature | top_p | draw
        _hostFloats = new double[batch * 3];
        _floats = zeros([_hostFloats.Length], ScalarType.Float64, device);
        _keyIndex = arange(_keyLength, ScalarType.Int64, device);
        _rows = arange(batch, ScalarType.Int64, device);
        OutTokens = zeros([batch], ScalarType.Int64, device);
        OutLogits = zeros([batch, model.Args.VocabSize], ScalarType.Float32, device);
        // The buffers live as long as the model, not as the step that first needed them.
        foreach (var t in new[] { _ints, _floats, _keyIndex, _rows, OutTokens, OutLogits })
        {
            t.DetachFromDisposeScope();
        }

        Step = Run;
    }

    public DecodeBucket Bucket { get; }

    /// <summary>The step as one delegate, the same object every time: what a graph captures.</summary>
    public Action Step { get; }

    /// <summary>Each row's sampled token after <see cref="Step"/>.</summary>
    public Tensor OutTokens { get; }

    /// <summary>Each row's float32 logits after <see cref="Step"/>.</summary>
    public Tensor OutLogits { get; }

    /// <summary>Writes the step's inputs into the buffers: <paramref name="batch"/> one-token sequences.</summary>
    public void Load(IReadOnlyList<SequenceInput> batch, IReadOnlyList<RowSampling> sampling)
    {
        int rows = Bucket.Batch, keyLength = _keyLength;
        var pool = _model.Cache;
        var ints = _hostInts.AsSpan();
        ints.Clear();
        _hostFloats.AsSpan().Clear();
        for (var b = 0; b < rows; b++)
        {
            var keys = ints.Slice((rows * 4) + (b * keyLength), keyLength);
            if (b >= batch.Count)
            {
                ints[(rows * 2) + b] = pool.ScratchRow;
                ints[(rows * 3) + b] = 1;
                keys.Fill(pool.ScratchRow);
                _hostFloats[rows + b] = 1;
                continue;
            }

            var seq = batch[b];
            ints[b] = seq.Tokens[0];
            ints[rows + b] = seq.StartPos;
            ints[(rows * 2) + b] = pool.Row(seq.Blocks, seq.StartPos);
            ints[(rows * 3) + b] = seq.EndPos;
            for (var j = 0; j < seq.EndPos; j++)
            {
                keys[j] = pool.Row(seq.Blocks, j);
            }

            keys[seq.EndPos..].Fill(pool.ScratchRow);
            _hostFloats[b] = sampling[b].Temperature;
            _hostFloats[rows + b] = sampling[b].TopP;
            _hostFloats[(rows * 2) + b] = sampling[b].Draw;
        }

        using var hostInts = tensor(_hostInts);
        using var hostFloats = tensor(_hostFloats);
        _ints.copy_(hostInts);
        _floats.copy_(hostFloats);
    }

    private void Run()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long rows = Bucket.Batch;
        var tokens = _ints.narrow(0, 0, rows);
        var positions = _ints.narrow(0, rows, rows).view(1, rows);
        var writeRows = _ints.narrow(0, rows * 2, rows);
        var lengths = _ints.narrow(0, rows * 3, rows);
        var keyRows = _ints.narrow(0, rows * 4, rows * _keyLength);
        var hidden = _keyIndex.unsqueeze(0).ge(lengths.unsqueeze(1));
        var mask = zeros([rows, _keyLength], ScalarType.Float32, _model.Device).masked_fill(hidden, float.NegativeInfinity).view(rows, 1, 1, _keyLength);
        var group = new AttentionGroup(Bucket.Batch, _keyLength, _rows, keyRows, mask);
        var layout = new BatchLayout(tokens, positions, writeRows, _rows, group);
        var logits = _model.DeviceLogits(layout, allPositions: false);
        OutLogits.copy_(logits);
        var temperature = _floats.narrow(0, 0, rows).to_type(ScalarType.Float32);
        var topP = _floats.narrow(0, rows, rows);
        var draw = _floats.narrow(0, rows * 2, rows);
        OutTokens.copy_(DeviceSampler.Sample(logits, temperature, topP, draw, Bucket.Greedy));
    }

    public void Dispose()
    {
        foreach (var t in new[] { _ints, _floats, _keyIndex, _rows, OutTokens, OutLogits })
        {
            t.Dispose();
        }
    }
}
