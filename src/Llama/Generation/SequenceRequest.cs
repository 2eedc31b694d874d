namespace Llama.Generation;

/// <summary>
/// A prompt to continue in cache slot <see cref="Slot"/>, whose first <see cref="CachedTokens"/> tokens the
/// slot already holds from an earlier call.
/// </summary>
public readonly record struct SequenceRequest(int Slot, IReadOnlyList<int> Tokens, int CachedTokens);
