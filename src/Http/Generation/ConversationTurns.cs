using System.Runtime.CompilerServices;
using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Errors;

namespace LlamaOrleans.Http.Generation;

/// <summary>The caller's conversations: finds them under the caller's tenant only, and runs their turns as reply pieces.</summary>
public sealed class ConversationTurns(IGrainFactory grains)
{
    /// <summary>The grain of the caller's conversation <paramref name="id"/>; an id no conversation could have is not found.</summary>
    public IConversationGrain Grain(Caller caller, string? id)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return ConversationKeys.IsValid(id)
            ? grains.GetGrain<IConversationGrain>(ConversationKeys.GrainKey(caller.Tenant, id!))
            : throw NotFound(id);
    }

    /// <summary>The conversation's status; 404 when the caller's tenant has no such conversation.</summary>
    public async Task<ConversationStatus> StatusAsync(Caller caller, string? id)
    {
        var grain = Grain(caller, id);
        try
        {
            return await grain.GetStatus();
        }
        catch (ConversationException e) when (e.Code == ConversationErrorCode.NotFound)
        {
            throw NotFound(id);
        }
    }

    /// <summary>Sends the user's message and streams the reply; the last piece carries the turn.</summary>
    public async IAsyncEnumerable<TurnPiece> Send(Caller caller, string id, UserMessage message, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var grain = Grain(caller, id);
        var deltas = grain.SendStreaming(message, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                ReplyDelta delta;
                try
                {
                    if (!await deltas.MoveNextAsync())
                    {
                        yield break;
                    }

                    delta = deltas.Current;
                }
                catch (ConversationException e) when (e.Code == ConversationErrorCode.NotFound)
                {
                    throw NotFound(id);
                }

                yield return new TurnPiece(delta.Text, delta.Tokens, delta.Completed is { } turn ? End(turn) : null, PromptTokens: delta.PromptTokens);
            }
        }
        finally
        {
            await deltas.DisposeAsync();
        }
    }

    public static ApiException NotFound(string? id) =>
        ApiException.NotFound($"No conversation '{id}' found.", "conversation_id", "conversation_not_found");

    private static TurnEnd End(TurnResult turn) =>
        new(turn.FinishReason, turn.PromptTokens, turn.CompletionTokens, turn.PromptTokens - turn.PrefilledTokens, turn.CacheHit, turn.Replayed);
}
