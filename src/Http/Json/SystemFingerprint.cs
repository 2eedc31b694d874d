using System.Reflection;

namespace LlamaOrleans.Http.Json;

/// <summary>
/// OpenAI's <c>system_fingerprint</c>: what produced a reply, so that clients can tell when the backend changed and
/// the same seed may answer differently. Here the model and the server's build (its version with the commit).
/// </summary>
public static class SystemFingerprint
{
    private static readonly string Build =
        typeof(SystemFingerprint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(SystemFingerprint).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public static string For(string model) => $"fp_{model}_{Build}";
}
