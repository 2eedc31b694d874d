namespace Llama.Chat;

/// <summary>The role strings of Meta's dialog JSON ("system", "user", "assistant"), case-sensitive as Meta compares them.</summary>
public static class RoleNames
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";

    /// <summary>The role string of <paramref name="role"/>.</summary>
    public static string ToRoleName(this Role role) => role switch
    {
        Role.System => System,
        Role.User => User,
        Role.Assistant => Assistant,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "not a chat role"),
    };

    /// <summary>Reads a role string; false for any other string.</summary>
    public static bool TryParse(string? name, out Role role)
    {
        switch (name)
        {
            case System:
                role = Role.System;
                return true;
            case User:
                role = Role.User;
                return true;
            case Assistant:
                role = Role.Assistant;
                return true;
            default:
                role = default;
                return false;
        }
    }

    /// <summary>Reads a role string.</summary>
    /// <exception cref="ChatFormatException">Not one of Meta's roles; the message is Meta's role error.</exception>
    public static Role Parse(string? name) =>
        TryParse(name, out var role) ? role : throw new ChatFormatException(ChatFormat.RoleError);
}
