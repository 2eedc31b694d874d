namespace Llama.Bench.Parallel;

/// <summary>Context and cache of every layout: two sequences of <see cref="MaxSeqLen"/> positions.</summary>
internal sealed record BenchShape(int MaxSeqLen = 256, int Sequences = 2);
