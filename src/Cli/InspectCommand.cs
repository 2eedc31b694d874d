using Llama.Checkpoints;

namespace Llama.Cli;

/// <summary>
/// <c>llama-orleans inspect PATH</c>: what a checkpoint is (format, architecture, parameters, dtype, shards,
/// bytes, tokenizer beside it) and any consistency problems; exit code 1 when there are problems.
/// </summary>
internal static class InspectCommand
{
    public const string Usage = "llama-orleans inspect PATH";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout)
    {
        if (args.Count != 1 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            throw new UsageException("inspect takes exactly one PATH (a checkpoint file or folder)");
        }

        var report = CheckpointInspector.Inspect(args[0]);
        stdout.Write(report.ToText());
        return report.IsConsistent ? 0 : 1;
    }
}
