namespace Llama.Cli;

/// <summary>The command line itself is wrong (unknown option, missing value): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
