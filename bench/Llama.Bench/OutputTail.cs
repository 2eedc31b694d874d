namespace Llama.Bench;

/// <summary>Shortens a process's output to its last non-empty line for a one-line error message.</summary>
internal static class OutputTail
{
    public static string Of(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(nothing)" : lines[^1];
    }
}
