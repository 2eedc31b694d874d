namespace Llama.Bench;

/// <summary>How a process ended and what it printed.</summary>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);
