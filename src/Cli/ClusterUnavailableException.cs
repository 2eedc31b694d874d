namespace Llama.Cli;

/// <summary>No silo of the cluster could be reached: exit code 1 with one line saying where the command looked.</summary>
internal sealed class ClusterUnavailableException(string message, Exception innerException) : Exception(message, innerException);
