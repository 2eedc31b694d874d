using System.Text.RegularExpressions;

namespace LlamaOrleans.Http.Generation;

/// <summary>
/// Conversation ids as clients see them, and the grain keys behind them: each tenant's conversations live under its own
/// prefix, so another tenant's id names a conversation that does not exist for the caller.
/// </summary>
public static partial class ConversationKeys
{
    public const string Prefix = "conv_";

    public static string NewId() => Prefix + Guid.NewGuid().ToString("N");

    /// <summary>Whether <paramref name="id"/> could be a conversation id (anything else is not found).</summary>
    public static bool IsValid(string? id) => id is not null && ValidId().IsMatch(id);

    public static string GrainKey(string tenant, string id) => $"{tenant}/{id}";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ValidId();
}
