using System.Text;

namespace Llama.Tokenization;

/// <summary>
/// Streams a decode: feed ids one at a time with <see cref="Add"/>, each call returning the text that
/// became final, and end with <see cref="Flush"/>. Byte tokens that start a multi-byte character are held
/// back until the character is complete (or the run of byte tokens ends), so no piece carries broken
/// UTF-8, and the concatenation of everything returned equals <see cref="ITokenizer.Decode"/> of the
/// same ids. Not thread-safe; one per sequence.
/// </summary>
public sealed class IncrementalDecoder
{
    private readonly TokenTable table;
    private readonly byte[] pending = new byte[4];
    private readonly StringBuilder output = new();
    private int pendingCount;
    private bool atStart = true;
    private bool droppedSpace;
    private bool anyText;

    internal IncrementalDecoder(TokenTable table) => this.table = table;

    /// <summary>Decodes one more id; returns the text that became final (often empty for byte tokens).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public string Add(int tokenId) => Add(tokenId, out _);

    /// <summary>
    /// As <see cref="Add(int)"/>; <paramref name="surface"/> is the token's own text here (a byte token's is empty):
    /// the returned text may also hold earlier bytes that this token completed or ended.
    /// </summary>
    public string Add(int tokenId, out string surface)
    {
        table.CheckId(tokenId);
        output.Clear();
        if (table.KindOf(tokenId) == TokenKind.Byte)
        {
            surface = string.Empty;
            pending[pendingCount++] = table.ByteOf(tokenId);
            EmitPending(runEnded: false);
            return TakeOutput();
        }

        // A non-byte token ends the byte run, so held-back bytes are read as SentencePiece reads a run's end.
        EmitPending(runEnded: true);
        if (droppedSpace || anyText)
        {
            atStart = false;
        }

        surface = table.Surface(tokenId, atStart, out droppedSpace);
        anyText |= surface.Length > 0;
        if (output.Length == 0)
        {
            // The common case: the token's own text, with no allocation.
            return surface;
        }

        output.Append(surface);
        return TakeOutput();
    }

    /// <summary>
    /// What <see cref="Add(int)"/> would return for <paramref name="tokenId"/> now, and the token's own UTF-8 bytes
    /// there (a byte token's byte, a piece's text with its leading space dropped where the decode drops it), without
    /// adding it: the text a candidate token would show at this point of the reply.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public string Peek(int tokenId, out byte[] bytes)
    {
        var saved = (pendingCount, atStart, droppedSpace, anyText);
        Span<byte> savedPending = stackalloc byte[4];
        pending.CopyTo(savedPending);
        try
        {
            var text = Add(tokenId, out var surface);
            bytes = Bytes(tokenId, surface);
            return text;
        }
        finally
        {
            (pendingCount, atStart, droppedSpace, anyText) = saved;
            savedPending.CopyTo(pending);
        }
    }

    /// <summary>The token's own UTF-8 bytes, given its <paramref name="surface"/> from <see cref="Add(int, out string)"/>.</summary>
    public byte[] Bytes(int tokenId, string surface)
    {
        ArgumentNullException.ThrowIfNull(surface);
        table.CheckId(tokenId);
        return table.KindOf(tokenId) == TokenKind.Byte ? [table.ByteOf(tokenId)] : Encoding.UTF8.GetBytes(surface);
    }

    /// <summary>Ends the sequence: returns held-back bytes, each invalid one as U+FFFD.</summary>
    public string Flush()
    {
        output.Clear();
        EmitPending(runEnded: true);
        return TakeOutput();
    }

    private void EmitPending(bool runEnded)
    {
        var start = 0;
        while (start < pendingCount)
        {
            var available = pendingCount - start;
            if (!runEnded && available < SentencePieceUtf8.SequenceLength(pending[start]))
            {
                break;
            }

            var codePoint = SentencePieceUtf8.ReadChar(pending.AsSpan(start, available), out var consumed);
            SentencePieceUtf8.AppendChar(output, codePoint);
            anyText = true;
            start += consumed;
        }

        pending.AsSpan(start, pendingCount - start).CopyTo(pending);
        pendingCount -= start;
    }

    private string TakeOutput() => output.Length == 0 ? string.Empty : output.ToString();
}
