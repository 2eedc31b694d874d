using System.Text;

namespace Llama.Tokenization;

/// <summary>
/// Whole-sequence decoding with SentencePiece's rules (<c>SentencePieceProcessor::Decode</c>):
/// control tokens are invisible, runs of byte tokens are read as UTF-8, and the leading space of the
/// first piece is dropped only while nothing visible has been decoded and no space was dropped yet.
/// </summary>
internal static class SentencePieceDecoding
{
    public static string Decode(TokenTable table, IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var run = new List<byte>();
        var atStart = true;
        var droppedSpace = false;
        foreach (var id in ids)
        {
            table.CheckId(id);
            if (table.KindOf(id) == TokenKind.Byte)
            {
                run.Add(table.ByteOf(id));
                continue;
            }

            SentencePieceUtf8.AppendRun(text, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(run));
            run.Clear();
            if (droppedSpace || text.Length > 0)
            {
                atStart = false;
            }

            text.Append(table.Surface(id, atStart, out droppedSpace));
        }

        SentencePieceUtf8.AppendRun(text, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(run));
        return text.ToString();
    }
}
