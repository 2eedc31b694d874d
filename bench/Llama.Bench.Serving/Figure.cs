namespace Llama.Bench.Serving;

/// <summary>One measured figure of a section, with the target it is checked against, if any.</summary>
internal sealed record Figure(string Section, string Name, double Value, string Unit, Target? Target = null);
