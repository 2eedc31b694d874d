namespace Llama.Tokenization;

/// <summary>
/// What each id decodes to, computed once at load so decoding a token is a table look-up:
/// its kind, its surface text (space symbols already turned into spaces) and, for byte tokens, the byte.
/// </summary>
internal sealed class TokenTable
{
    /// <summary>SentencePiece's default surface of the unknown token (U+2047 between spaces).</summary>
    public const string DefaultUnknownSurface = " \u2047 ";

    private readonly TokenKind[] kinds;
    private readonly string[] surfaces;
    private readonly bool[] startsWithSpace;
    private readonly byte[] bytes;

    /// <param name="pieces">Every token's piece text as stored in the model.</param>
    /// <param name="kinds">Every token's kind.</param>
    /// <param name="spaceSymbol">The character that stands for a space in pieces ('▁' for SentencePiece, ' ' for llama2.c).</param>
    /// <param name="unknownSurface">What the unknown token decodes to.</param>
    public TokenTable(IReadOnlyList<string> pieces, IReadOnlyList<TokenKind> kinds, char spaceSymbol, string unknownSurface)
    {
        var count = pieces.Count;
        this.kinds = [.. kinds];
        surfaces = new string[count];
        startsWithSpace = new bool[count];
        bytes = new byte[count];
        for (var id = 0; id < count; id++)
        {
            var piece = pieces[id];
            switch (kinds[id])
            {
                case TokenKind.Normal:
                    surfaces[id] = piece.Replace(spaceSymbol, ' ');
                    startsWithSpace[id] = piece.Length > 0 && piece[0] == spaceSymbol;
                    break;
                case TokenKind.Unknown:
                    surfaces[id] = unknownSurface;
                    break;
                case TokenKind.Byte:
                    bytes[id] = ParseBytePiece(piece)
                        ?? throw new ArgumentException($"token {id} is a byte token but its piece is '{piece}'", nameof(pieces));
                    surfaces[id] = string.Empty;
                    break;
                default:
                    surfaces[id] = string.Empty;
                    break;
            }
        }
    }

    public int Count => kinds.Length;

    public TokenKind KindOf(int id) => kinds[id];

    public byte ByteOf(int id) => bytes[id];

    /// <summary>Throws unless <paramref name="id"/> is in the vocabulary.</summary>
    public void CheckId(int id)
    {
        if ((uint)id >= (uint)kinds.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id must be in [0, {kinds.Length})");
        }
    }

    /// <summary>
    /// The text of a non-byte token, as SentencePiece's decoder gives it: when
    /// <paramref name="atStart"/> (nothing visible decoded yet) a leading space is dropped and
    /// <paramref name="droppedSpace"/> says so, so that only the first one is dropped.
    /// </summary>
    public string Surface(int id, bool atStart, out bool droppedSpace)
    {
        droppedSpace = atStart && startsWithSpace[id];
        return droppedSpace ? surfaces[id][1..] : surfaces[id];
    }

    /// <summary>The byte of a piece spelled <c>&lt;0xHH&gt;</c>, or null for any other piece.</summary>
    public static byte? ParseBytePiece(string piece)
    {
        if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var value))
        {
            return value;
        }

        return null;
    }
}
