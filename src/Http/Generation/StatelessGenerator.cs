using System.Runtime.CompilerServices;
using Llama.Chat;
using LlamaOrleans.Http.Errors;

namespace LlamaOrleans.Http.Generation;

/// <summary>
/// Runs a stateless request (a whole dialog or a text prompt) on a model worker (<see cref="IStatelessTurns"/>, as
/// conversations run theirs: on an assigned worker of its model, another when that one cannot be reached before the
/// reply starts), under a cache id of its own that is dropped afterwards, applying the request's stop sequences.
/// </summary>
public sealed class StatelessGenerator(IStatelessTurns workers, IModelCatalog catalog)
{
    /// <summary>Meta's chat prompt of <paramref name="dialog"/>.</summary>
    /// <exception cref="ChatFormatException">The dialog breaks Meta's rules (Meta's text).</exception>
    public ChatPrompt EncodeChat(string model, IReadOnlyList<Message> dialog) => catalog.ChatFormat(model).Encode(dialog);

    /// <summary>The text prompt as Meta's <c>text_completion</c> encodes it: BOS, no EOS.</summary>
    public IReadOnlyList<int> EncodeText(string model, string prompt) => catalog.Tokenizer(model).Encode(prompt, bos: true, eos: false);

    /// <summary>
    /// Decides whether the request fits the model's context: the prompt must leave room for a reply, and the reply
    /// cap (when given) must fit that room; without a cap, the reply may fill it.
    /// </summary>
    /// <param name="param">The request field that holds the prompt, named in the error.</param>
    public StatelessTurn Fit(string model, IReadOnlyList<int> prompt, Sampling sampling, string param)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sampling);
        var limit = catalog.ContextLimit(model);
        if (prompt.Count >= limit)
        {
            throw ApiException.BadRequest(
                $"This model's maximum context length is {limit} tokens. However, your {param} resulted in {prompt.Count} tokens, " +
                "leaving no room for a completion. Please reduce the length.", param, "context_length_exceeded");
        }

        var room = limit - prompt.Count;
        if (sampling.MaxReplyTokens is { } requested && requested > room)
        {
            throw ApiException.BadRequest(
                $"This model's maximum context length is {limit} tokens. However, you requested {(long)prompt.Count + requested} tokens " +
                $"({prompt.Count} in the prompt, {requested} for the completion). Reduce the prompt or max_tokens.", "max_tokens", "context_length_exceeded");
        }

        return new StatelessTurn(model, prompt, sampling.MaxReplyTokens ?? room, sampling);
    }

    /// <summary>Streams the reply to the fitted request; the last piece carries the end.</summary>
    public async IAsyncEnumerable<TurnPiece> Generate(StatelessTurn request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (prompt, sampling) = (request.Prompt, request.Sampling);
        var stops = new StopSequenceFilter(sampling.Stop);
        var logprobs = sampling.TopLogprobs is null ? null : new LogprobAligner();
        var workerRequest = new WorkerRequest
        {
            CacheId = $"http/{Guid.NewGuid():N}",
            Tokens = [.. prompt],
            Temperature = sampling.Temperature,
            TopP = sampling.TopP,
            MaxReplyTokens = request.MaxReplyTokens,
            Seed = sampling.Seed ?? (ulong)Random.Shared.NextInt64(),
            Logprobs = logprobs is not null,
            TopLogprobs = sampling.TopLogprobs ?? 0,
            // The worker stops generating at a stop sequence; the filter cuts the text exactly there.
            Stop = [.. sampling.Stop],
        };
        var tokens = 0;
        await foreach (var e in workers.Run(request.Model, workerRequest, cancellationToken))
        {
            logprobs?.Add(e.Logprobs);
            if (e.Completed is { } done)
            {
                // The last piece may carry several tokens' text (the worker paces its stream), a stop sequence among them.
                var last = stops.Add(e.Text);
                var stopped = stops.Stopped;
                var rest = stopped ? string.Empty : stops.Flush();
                yield return new TurnPiece(last + rest, e.TokenCount, new TurnEnd(stopped ? "stop" : done.FinishReason, prompt.Count, done.Tokens.Length),
                    logprobs?.End(last.Length + rest.Length, stopped));
                yield break;
            }

            tokens += e.TokenCount;
            var text = stops.Add(e.Text);
            if (stops.Stopped)
            {
                // Leaving the stream takes the turn out of the worker's batch.
                yield return new TurnPiece(text, e.TokenCount, new TurnEnd("stop", prompt.Count, tokens), logprobs?.End(text.Length, stopped: true));
                yield break;
            }

            yield return new TurnPiece(text, e.TokenCount, Logprobs: logprobs?.Sent(text.Length));
        }

        throw new ConversationException(ConversationErrorCode.Unavailable, "The model worker ended the turn without a result; send the request again.");
    }
}
