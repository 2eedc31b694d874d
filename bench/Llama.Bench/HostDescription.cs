namespace Llama.Bench;

/// <summary>A one-line description of the machine the numbers came from.</summary>
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

        return $"{cpu}, {Environment.ProcessorCount} logical CPUs";
    }
}
