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
        var queryRows = new long[Batch * Time];
        var keyRows = new long[Batch * KeyLength];
        var mask = new float[Batch * Time * KeyLength];
        for (var b = 0; b < Batch; b++)
        {
            var seq = sequences[b];
            for (var t = 0; t < Time; t++)
            {
                queryRows[(b * Time) + t] = firstRows[b] + t;
                // A query at position p sees keys 0..p of its own sequence.
                var visible = seq.StartPos + t + 1;
                mask.AsSpan((((b * Time) + t) * KeyLength) + visible, KeyLength - visible).Fill(float.NegativeInfinity);
            }

            for (var j = 0; j < KeyLength; j++)
            {
                // Past the sequence's end the row is masked out; any valid pool row will do there.
                keyRows[(b * KeyLength) + j] = j < seq.EndPos ? pool.Row(seq.Blocks, j) : 0;
            }
        }

        QueryRows = tensor(queryRows, device: device);
        KeyRows = tensor(keyRows, device: device);
        Mask = tensor(mask, [Batch, 1, Time, KeyLength], device: device);
    }

    public int Batch { get; }

    public int Time { get; }

    public int KeyLength { get; }

    public Tensor QueryRows { get; }

    public Tensor KeyRows { get; }

    /// <summary>Additive mask [batch, 1, time, keyLength], float32.</summary>
    public Tensor Mask { get; }

    public void Dispose()
    {
        QueryRows.Dispose();
        KeyRows.Dispose();
        Mask.Dispose();
    }
}
