namespace Llama.Bench.Serving;

/// <summary>The rendered result table, and whether every checked target passed.</summary>
internal sealed record ServingBenchReport(string Text, bool AllPassed);
