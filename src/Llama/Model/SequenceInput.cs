namespace Llama.Model;

/// <summary>
/// One sequence's share of a batched forward: new tokens to run at positions
/// <see cref="StartPos"/>.. in cache slot <see cref="Slot"/>, whose earlier positions are cached.
/// </summary>
public readonly record struct SequenceInput(int Slot, int StartPos, IReadOnlyList<int> Tokens);
