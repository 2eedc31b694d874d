using System.Globalization;
using System.Text.RegularExpressions;

namespace Llama.Bench;

/// <summary>The summary our CLI's <c>generate</c> prints last on stderr.</summary>
/// <param name="PromptTokens">Prompt length in tokens, BOS included.</param>
/// <param name="GeneratedTokens">Tokens generated.</param>
/// <param name="PrefillMilliseconds">Time to process the prompt and produce the first token.</param>
/// <param name="DecodeTokensPerSecond">Tokens after the first generated one over the time they took.</param>
internal sealed partial record EngineCliOutput(
    int PromptTokens, int GeneratedTokens, double PrefillMilliseconds, double DecodeTokensPerSecond)
{
    public const string Format = "prompt tokens: P, generated tokens: G, prefill: X ms, decode: Y tok/s";

    public static EngineCliOutput Parse(string stderr)
    {
        var matches = SummaryLine().Matches(stderr);
        if (matches.Count == 0)
        {
            throw new BenchException(
                $"llama-orleans printed no summary line '{Format}'; its stderr ended with: {OutputTail.Of(stderr)}");
        }

        var line = matches[^1];
        var groups = line.Groups;
        if (!int.TryParse(groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var prompt)
            || !int.TryParse(groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var generated)
            || !double.TryParse(groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var prefill)
            || !double.TryParse(groups[4].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var decode)
            || !double.IsFinite(decode) || decode <= 0)
        {
            throw new BenchException($"llama-orleans reported unusable figures ({line.Value.Trim()}); a decode rate needs at least two generated tokens.");
        }

        return new EngineCliOutput(prompt, generated, prefill, decode);
    }

    [GeneratedRegex(
        @"^prompt tokens: (\S+), generated tokens: (\S+), prefill: (\S+) ms, decode: (\S+) tok/s\s*$",
        RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex SummaryLine();
}
