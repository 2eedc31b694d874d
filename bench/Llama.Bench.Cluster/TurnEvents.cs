using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Llama.Bench.Cluster;

/// <summary>
/// The events of a streamed conversation turn (docs/http.md): <c>conversation.turn.delta</c> pieces, the closing
/// <c>conversation.turn</c> with the usage, or an <c>error</c> event when the turn failed after the stream began.
/// </summary>
internal static class TurnEvents
{
    public const string Done = "[DONE]";

    /// <summary>The reply pieces of a turn's event stream, up to and including the completed one.</summary>
    /// <exception cref="HttpTurnException">
    /// An error event, an event that is not a turn's, or a stream that ended (or sent <c>[DONE]</c>) before the closing
    /// <c>conversation.turn</c>: a retryable failure, since the server keeps no half turn.
    /// </exception>
    public static async IAsyncEnumerable<ReplyPiece> ReadAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var data in ServerSentEvents.ReadDataAsync(body, cancellationToken))
        {
            if (data == Done)
            {
                break;
            }

            var piece = Parse(data);
            yield return piece;
            if (piece.Completed)
            {
                yield break;
            }
        }

        throw new HttpTurnException("The stream ended without its final conversation.turn event.", null, retryable: true);
    }

    /// <summary>The reply piece an event's data carries.</summary>
    /// <exception cref="HttpTurnException">The event is an error event, or not an event of a conversation turn.</exception>
    public static ReplyPiece Parse(string data)
    {
        ArgumentNullException.ThrowIfNull(data);
        JsonElement root;
        try
        {
            using var json = JsonDocument.Parse(data);
            root = json.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new HttpTurnException($"The stream sent an event that is not JSON: {e.Message}", null, retryable: false);
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            throw HttpFailures.FromErrorEvent(error);
        }

        var kind = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("object", out var o) ? o.GetString() : null;
        return kind switch
        {
            "conversation.turn.delta" => new ReplyPiece(root.GetProperty("delta").GetString() ?? string.Empty, false, 0),
            "conversation.turn" => new ReplyPiece(string.Empty, true, root.GetProperty("usage").GetProperty("completion_tokens").GetInt32()),
            _ => throw new HttpTurnException($"The stream sent an event that is not part of a conversation turn: {data}", null, retryable: false),
        };
    }
}
