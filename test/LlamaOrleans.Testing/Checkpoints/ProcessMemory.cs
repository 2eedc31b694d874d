using System.Globalization;

namespace LlamaOrleans.Testing.Checkpoints;

/// <summary>This process's resident memory on Linux, from /proc/self/status, with a resettable peak.</summary>
public static class ProcessMemory
{
    /// <summary>Resident set size now (VmRSS), including mapped file pages.</summary>
    public static long Resident => Read("VmRSS:");

    /// <summary>The resident peak (VmHWM) since start or since the last <see cref="ResetPeak"/>.</summary>
    public static long Peak => Read("VmHWM:");

    /// <summary>Starts peak tracking afresh from the current resident size (Linux: "5" to clear_refs).</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long Read(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        var kib = line[field.Length..].Trim().Split(' ')[0];
        return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
    }
}
