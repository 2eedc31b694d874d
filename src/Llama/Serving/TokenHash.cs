namespace Llama.Serving;

/// <summary>
/// FNV-1a over token ids: a cheap fingerprint of a cached token sequence, extendable token by token, so a
/// cache handle can be checked against what a worker really holds.
/// </summary>
public static class TokenHash
{
    public const ulong Empty = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Extend(ulong hash, int token)
    {
        var value = (uint)token;
        for (var i = 0; i < 4; i++)
        {
            hash = (hash ^ (value & 0xFF)) * Prime;
            value >>= 8;
        }

        return hash;
    }

    public static ulong Of(IEnumerable<int> tokens) => tokens.Aggregate(Empty, Extend);
}
