using System.Globalization;
using System.Text.RegularExpressions;

namespace Llama.Bench;

/// <summary>Reads the decode rate run.c reports on stderr.</summary>
/// <remarks>
/// run.c prints <c>achieved tok/s: X</c> where X counts every forward pass after the first (prompt
/// positions included, since run.c feeds the prompt one token at a time) over the time they took.
/// </remarks>
internal static partial class RunCOutput
{
    public static double ParseTokensPerSecond(string stderr)
    {
        var matches = AchievedLine().Matches(stderr);
        if (matches.Count == 0)
        {
            throw new BenchException($"run.c printed no 'achieved tok/s' line; its stderr ended with: {OutputTail.Of(stderr)}");
        }

        var text = matches[^1].Groups[1].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value <= 0)
        {
            // run.c divides by whole milliseconds, so a run too short to time reports inf.
            throw new BenchException($"run.c reported an unusable rate ({matches[^1].Value.Trim()}); use more --tokens.");
        }

        return value;
    }

    [GeneratedRegex(@"^achieved tok/s: (\S+)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex AchievedLine();
}
