namespace Llama.Bench;

/// <summary>
/// SplitMix64 generator: tiny, fast and fully specified, so the random benchmark model is the same
/// bytes on every machine and .NET version (System.Random's seeded output is not a documented contract).
/// </summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A roughly normal value with mean 0 and the given standard deviation: the centred sum of four
    /// 16-bit uniforms (Irwin–Hall), one generator step per value.
    /// </summary>
    public float NextNormalish(float std)
    {
        var bits = Next();
        var sum = (bits & 0xFFFF) + ((bits >> 16) & 0xFFFF) + ((bits >> 32) & 0xFFFF) + (bits >> 48);
        return (float)((sum - (4 * 65535 / 2.0)) * std / SumStd);
    }

    // Standard deviation of the sum of four independent uniforms on {0, ..., 65535}.
    private static readonly double SumStd = Math.Sqrt(4 * ((65536.0 * 65536.0) - 1) / 12);
}
