using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>
/// Index tensors describing a ragged batch for the tensor forward: sequences padded to the longest
/// chunk, where each row has its own slot, start position and length.
/// </summary>
internal sealed class BatchLayout : IDisposable
{
    public BatchLayout(IReadOnlyList<SequenceInput> batch, int maxSeqLen, Device device)
    {
        Batch = batch.Count;
        Time = batch.Max(s => s.Tokens.Count);
        Lengths = batch.Select(s => s.Tokens.Count).ToArray();
        KeyLength = batch.Max(s => s.StartPos + s.Tokens.Count);

        var tokens = new long[Batch * Time];
        var positions = new long[Batch * Time];
        var writeSlots = new List<long>();
        var writePositions = new List<long>();
        var writeRows = new List<long>();
        for (var b = 0; b < Batch; b++)
        {
            var seq = batch[b];
            for (var t = 0; t < Time; t++)
            {
                var row = (b * Time) + t;
                var valid = t < seq.Tokens.Count;
                tokens[row] = valid ? seq.Tokens[t] : 0;
                // Padding rows compute throwaway values; clamp keeps their rotary lookup in range.
                positions[row] = Math.Min(seq.StartPos + t, maxSeqLen - 1);
                if (valid)
                {
                    writeSlots.Add(seq.Slot);
                    writePositions.Add(seq.StartPos + t);
                    writeRows.Add(row);
                }
            }
        }

        Tokens = tensor(tokens, [Batch, Time], device: device);
        Positions = tensor(positions, [Batch, Time], device: device);
        Slots = tensor(batch.Select(s => (long)s.Slot).ToArray(), device: device);
        WriteSlots = tensor(writeSlots.ToArray(), device: device);
        WritePositions = tensor(writePositions.ToArray(), device: device);
        WriteRows = tensor(writeRows.ToArray(), device: device);

        // Causal mask over cached keys: query at position p sees keys 0..p of its own sequence.
        using var keyIndex = arange(KeyLength, device: device).view(1, 1, KeyLength);
        using var visible = keyIndex.le(Positions.unsqueeze(-1));
        using var blocked = zeros([Batch, Time, KeyLength], ScalarType.Float32, device)
            .masked_fill_(visible.logical_not(), float.NegativeInfinity);
        Mask = blocked.unsqueeze(1);
    }

    public int Batch { get; }

    public int Time { get; }

    public int[] Lengths { get; }

    /// <summary>Cached positions attention must read: the furthest end of any sequence.</summary>
    public int KeyLength { get; }

    public Tensor Tokens { get; }

    public Tensor Positions { get; }

    public Tensor Slots { get; }

    public Tensor WriteSlots { get; }

    public Tensor WritePositions { get; }

    public Tensor WriteRows { get; }

    /// <summary>Additive mask [batch, 1, time, keyLength], float32.</summary>
    public Tensor Mask { get; }

    public void Dispose()
    {
        foreach (var t in new[] { Tokens, Positions, Slots, WriteSlots, WritePositions, WriteRows, Mask })
        {
            t.Dispose();
        }
    }
}
