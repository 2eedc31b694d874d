namespace Llama.Bench;

/// <summary>A one-line description of the machine the numbers came from, and how busy it was.</summary>
internal static class HostDescription
{
    public static string Read()
    {
        var cpu = "unknown CPU";
        const string cpuInfo = "/proc/cpuinfo";
        if (File.Exists(cpuInfo))
        {
            var line = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line?.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0)
            {
                cpu = line[(colon + 1)..].Trim();
            }
        }

        // Other work on the host skews both engines and the bandwidth kernel; the load average shows it.
        const string loadAverage = "/proc/loadavg";
        var load = File.Exists(loadAverage) ? $", load average {File.ReadAllText(loadAverage).Split(' ')[0]}" : string.Empty;
        return $"{cpu}, {Environment.ProcessorCount} logical CPUs{load}";
    }
}
