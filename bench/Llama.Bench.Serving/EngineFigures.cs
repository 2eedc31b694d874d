namespace Llama.Bench.Serving;

/// <summary>The engine section's throughputs, which the Orleans section is compared against.</summary>
/// <param name="SingleStreamRate">Decode tokens per second of one request alone.</param>
/// <param name="AggregateRate">Decode tokens per second of all streams running together.</param>
internal sealed record EngineFigures(double SingleStreamRate, double AggregateRate);
