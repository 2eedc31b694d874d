using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>
/// Index tensors describing a packed batch for the tensor forward: the new tokens of every sequence one
/// after another as rows, where each row's key and value go in the block pool, and the attention groups:
/// all one-token (decode) rows together, and each multi-token chunk on its own.
/// </summary>
internal sealed class BatchLayout : IDisposable
{
    public BatchLayout(IReadOnlyList<SequenceInput> batch, KvBlockPool pool, Device device)
    {
        Lengths = batch.Select(s => s.Tokens.Count).ToArray();
        Rows = Lengths.Sum();
        var tokens = new long[Rows];
        var positions = new long[Rows];
        var writeRows = new long[Rows];
        var last = new long[batch.Count];
        var starts = new int[batch.Count];
        for (int b = 0, r = 0; b < batch.Count; b++)
        {
            starts[b] = r;
            var seq = batch[b];
            for (var t = 0; t < seq.Tokens.Count; t++, r++)
            {
                tokens[r] = seq.Tokens[t];
                positions[r] = seq.StartPos + t;
                writeRows[r] = pool.Row(seq.Blocks, seq.StartPos + t);
            }

            last[b] = r - 1;
        }

        Tokens = tensor(tokens, device: device);
        Positions = tensor(positions, [1, Rows], device: device);
        WriteRows = tensor(writeRows, device: device);
        LastRows = tensor(last, device: device);

        var decode = Enumerable.Range(0, batch.Count).Where(b => Lengths[b] == 1).ToArray();
        var groups = new List<AttentionGroup>();
        if (decode.Length > 0)
        {
            groups.Add(new AttentionGroup(decode.Select(b => batch[b]).ToArray(), decode.Select(b => starts[b]).ToArray(), pool, device));
        }

        groups.AddRange(Enumerable.Range(0, batch.Count).Where(b => Lengths[b] > 1)
            .Select(b => new AttentionGroup([batch[b]], [starts[b]], pool, device)));
        Groups = groups;
    }

    /// <summary>
    /// A fixed-size decode step over device buffers its <see cref="StaticDecode"/> owns and updates in place: one row
    /// per sequence, one attention group. Not disposed: the buffers outlive it.
    /// </summary>
    public BatchLayout(Tensor tokens, Tensor positions, Tensor writeRows, Tensor rows, AttentionGroup group)
    {
        Rows = (int)tokens.shape[0];
        Lengths = Enumerable.Repeat(1, Rows).ToArray();
        Tokens = tokens;
        Positions = positions;
        WriteRows = writeRows;
        LastRows = rows;
        Groups = [group];
    }

    public int Rows { get; }

    public int[] Lengths { get; }

    public Tensor Tokens { get; }

    /// <summary>Position of each row, [1, rows].</summary>
    public Tensor Positions { get; }

    /// <summary>Flat pool row (block × block size + offset) each row's key and value go to.</summary>
    public Tensor WriteRows { get; }

    /// <summary>Row of each sequence's last new token.</summary>
    public Tensor LastRows { get; }

    public IReadOnlyList<AttentionGroup> Groups { get; }

    public void Dispose()
    {
        foreach (var t in new[] { Tokens, Positions, WriteRows, LastRows })
        {
            t.Dispose();
        }

        foreach (var group in Groups)
        {
            group.Dispose();
        }
    }
}

/// <summary>
/// Sequences whose queries attend together, padded to the same number of new tokens (Time) and of keys
/// (KeyLength): which packed rows hold their queries, which pool rows hold their keys, and the additive mask.
/// </summary>
internal sealed class AttentionGroup : IDisposable
{
    public AttentionGroup(IReadOnlyList<SequenceInput> sequences, IReadOnlyList<int> firstRows, KvBlockPool pool, Device device)
    {
        Batch = sequences.Count;
        Time = sequences[0].Tokens.Count;
        KeyLength = sequences.Max(s => s.EndPos);
        Causal = Batch == 1 && sequences[0].StartPos == 0;
        var queryRows = new long[Batch * Time];
        var keyRows = new long[Batch * KeyLength];
        for (var b = 0; b < Batch; b++)
        {
            var seq = sequences[b];
            for (var t = 0; t < Time; t++)
            {
                queryRows[(b * Time) + t] = firstRows[b] + t;
            }

            for (var j = 0; j < KeyLength; j++)
            {
                // Past the sequence's end the row is masked out; any valid pool row will do there.
                keyRows[(b * KeyLength) + j] = j < seq.EndPos ? pool.Row(seq.Blocks, j) : 0;
            }
        }

        QueryRows = tensor(queryRows, device: device);
        KeyRows = tensor(keyRows, device: device);
        // Built on first use: a causal group's fused attention needs none, and a long prompt's mask is megabytes.
        _mask = new Lazy<Tensor>(() => MaskOf(sequences, device));
    }

    /// <summary>A group of one-token rows whose query rows, key rows and mask are given device tensors.</summary>
    public AttentionGroup(int batch, int keyLength, Tensor queryRows, Tensor keyRows, Tensor mask)
    {
        Batch = batch;
        Time = 1;
        KeyLength = keyLength;
        QueryRows = queryRows;
        KeyRows = keyRows;
        _mask = new Lazy<Tensor>(mask);
    }

    private readonly Lazy<Tensor> _mask;

    /// <summary>A query at position p sees keys 0..p of its own sequence.</summary>
    private Tensor MaskOf(IReadOnlyList<SequenceInput> sequences, Device device)
    {
        var mask = new float[Batch * Time * KeyLength];
        for (var b = 0; b < Batch; b++)
        {
            for (var t = 0; t < Time; t++)
            {
                var visible = sequences[b].StartPos + t + 1;
                mask.AsSpan((((b * Time) + t) * KeyLength) + visible, KeyLength - visible).Fill(float.NegativeInfinity);
            }
        }

        // Owned by the layout, not by the dispose scope of the layer that first asks for it.
        return tensor(mask, [Batch, 1, Time, KeyLength], device: device).DetachFromDisposeScope();
    }

    /// <summary>One sequence's chunk from position 0: each query sees exactly the keys up to its own (plain causal attention).</summary>
    public bool Causal { get; }

    public int Batch { get; }

    public int Time { get; }

    public int KeyLength { get; }

    public Tensor QueryRows { get; }

    public Tensor KeyRows { get; }

    /// <summary>Additive mask [batch, 1, time, keyLength], float32.</summary>
    public Tensor Mask => _mask.Value;

    public void Dispose()
    {
        QueryRows.Dispose();
        KeyRows.Dispose();
        if (_mask.IsValueCreated)
        {
            _mask.Value.Dispose();
        }
    }
}
