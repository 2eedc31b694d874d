namespace Llama.Chat;

/// <summary>Python's <c>str.strip()</c>, whose whitespace (<c>str.isspace</c>) differs from .NET's: it includes U+001C…U+001F.</summary>
internal static class PythonStrings
{
    public static string Strip(string text) => text.AsSpan().Trim(Whitespace).ToString();

    private static ReadOnlySpan<char> Whitespace =>
        "\t\n\u000B\u000C\r\u001C\u001D\u001E\u001F \u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000";
}
