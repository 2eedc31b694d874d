namespace Llama.Model;

/// <summary>
/// One sequence's share of a batched forward: new tokens to run at positions <see cref="StartPos"/>..,
/// whose earlier positions are cached. <see cref="Blocks"/> is its block table: entry i is the
/// <see cref="KvBlockPool"/> block holding positions [i × blockSize, (i + 1) × blockSize).
/// </summary>
public readonly record struct SequenceInput(IReadOnlyList<int> Blocks, int StartPos, IReadOnlyList<int> Tokens)
{
    public int EndPos => StartPos + Tokens.Count;
}
