using System.Diagnostics;
using System.Runtime;

namespace Llama.Bench.Serving;

/// <summary>
/// Waits, after warm-up, until the runtime stops compiling: code that warm-up ran many times is recompiled at tier 1
/// on a background thread, and on a two-core host that thread takes a core from a timed run for up to a second.
/// </summary>
internal static class JitSettle
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(60);

    /// <summary>Compilations in a quiet second: timers and the like compile a method now and then for a long time.</summary>
    private const long Stray = 2;

    public static async Task WaitAsync(string section, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        var start = JitInfo.GetCompiledMethodCount();
        var last = start;
        while (waited.Elapsed < Longest)
        {
            await Task.Delay(Quiet, cancellationToken).ConfigureAwait(false);
            var now = JitInfo.GetCompiledMethodCount();
            if (now - last <= Stray)
            {
                break;
            }

            last = now;
        }

        Progress.Report($"{section}: JIT settled after {waited.Elapsed.TotalSeconds:F0} s ({last - start} methods compiled meanwhile)");
    }
}
