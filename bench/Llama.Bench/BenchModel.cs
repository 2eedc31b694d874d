namespace Llama.Bench;

/// <summary>A model the bench runs both engines on, with the tokenizer file each engine reads for it.</summary>
internal sealed record BenchModel(string Name, string Description, string Path, string RunCTokenizer, string EngineTokenizer);
