using System.Text;

namespace Llama.Tokenization;

/// <summary>
/// SentencePiece's reading of a run of byte tokens: one character at a time, a structurally invalid,
/// overlong, surrogate or out-of-range sequence costing exactly one byte, which becomes U+FFFD.
/// (.NET's decoder replaces maximal invalid subsequences instead, so it would differ.)
/// </summary>
internal static class SentencePieceUtf8
{
    /// <summary>Bytes a character starting with <paramref name="lead"/> needs; 1 for bytes that cannot start one.</summary>
    public static int SequenceLength(byte lead) => lead switch
    {
        < 0x80 => 1,
        _ when (lead & 0xE0) == 0xC0 => 2,
        _ when (lead & 0xF0) == 0xE0 => 3,
        _ when (lead & 0xF8) == 0xF0 => 4,
        _ => 1,
    };

    /// <summary>Reads the character at the start of <paramref name="bytes"/>; -1 when it is invalid (then 1 byte is consumed).</summary>
    public static int ReadChar(ReadOnlySpan<byte> bytes, out int consumed)
    {
        var b0 = bytes[0];
        consumed = 1;
        if (b0 < 0x80)
        {
            return b0;
        }

        var length = SequenceLength(b0);
        if (length == 1 || bytes.Length < length)
        {
            return -1;
        }

        var codePoint = b0 & (0xFF >> (length + 1));
        for (var i = 1; i < length; i++)
        {
            if ((bytes[i] & 0xC0) != 0x80)
            {
                return -1;
            }

            codePoint = (codePoint << 6) | (bytes[i] & 0x3F);
        }

        var minimum = length switch
        {
            2 => 0x80,
            3 => 0x800,
            _ => 0x10000,
        };
        if (codePoint < minimum || !Rune.IsValid(codePoint))
        {
            return -1;
        }

        consumed = length;
        return codePoint;
    }

    /// <summary>Appends the character read by <see cref="ReadChar"/>, U+FFFD for an invalid one.</summary>
    public static void AppendChar(StringBuilder text, int codePoint)
    {
        if (codePoint < 0)
        {
            text.Append('\uFFFD');
        }
        else if (codePoint < 0x10000)
        {
            text.Append((char)codePoint);
        }
        else
        {
            var rune = new Rune(codePoint);
            text.Append(rune.ToString());
        }
    }

    /// <summary>Appends a complete run of byte tokens.</summary>
    public static void AppendRun(StringBuilder text, ReadOnlySpan<byte> run)
    {
        while (!run.IsEmpty)
        {
            AppendChar(text, ReadChar(run, out var consumed));
            run = run[consumed..];
        }
    }
}
