using System.Runtime.CompilerServices;
using Llama.Chat;
using Llama.Tokenization;
using LlamaOrleans.Grains;
using LlamaOrleans.Http.Errors;

namespace LlamaOrleans.Http.Generation;

/// <summary>
/// Runs a stateless request (a whole dialog or a text prompt) on the least loaded worker of its model, under a cache id
/// of its own that is dropped afterwards, applying the request's stop sequences.
/// </summary>
public sealed class StatelessGenerator(IGrainFactory grains, ModelCatalog catalog)
{
    private readonly Dictionary<string, ITokenizer> _tokenizers = new(StringComparer.Ordinal);
    private readonly Lock _tokenizersLock = new();

    /// <summary>Meta's chat prompt of <paramref name="dialog"/>, checked against the model's context.</summary>
    /// <exception cref="ChatFormatException">The dialog breaks Meta's rules (Meta's text).</exception>
    public ChatPrompt EncodeChat(string model, IReadOnlyList<Message> dialog)
    {
        var prompt = catalog.ChatFormat(model).Encode(dialog);
        CheckFits(model, prompt.Ids.Count, "messages");
        return prompt;
    }

    /// <summary>The text prompt as Meta's <c>text_completion</c> encodes it: BOS, no EOS.</summary>
    public IReadOnlyList<int> EncodeText(string model, string prompt)
    {
        var ids = Tokenizer(model).Encode(prompt, bos: true, eos: false);
        CheckFits(model, ids.Count, "prompt");
        return ids;
    }

    public int ContextLimit(string model) => catalog.ContextLimit(model);

    /// <summary>The most tokens a request may spend: its prompt and its reply, which the context bounds.</summary>
    public long MaxTokens(string model, int promptTokens, Sampling sampling)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        var room = catalog.ContextLimit(model) - promptTokens;
        return promptTokens + Math.Min(sampling.MaxTokens ?? room, room);
    }

    /// <summary>Streams the reply to <paramref name="prompt"/>; the last piece carries the end.</summary>
    public async IAsyncEnumerable<TurnPiece> Generate(string model, IReadOnlyList<int> prompt, Sampling sampling, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var limit = catalog.ContextLimit(model);
        var room = limit - prompt.Count;
        if (sampling.MaxTokens is { } requested && requested > room)
        {
            throw ApiException.BadRequest(
                $"This model's maximum context length is {limit} tokens. However, you requested {(long)prompt.Count + requested} tokens " +
                $"({prompt.Count} in the prompt, {requested} for the completion). Reduce the prompt or max_tokens.", "max_tokens", "context_length_exceeded");
        }

        var registry = grains.GetGrain<IModelRegistryGrain>(0);
        var key = await registry.AssignWorker(model);
        var worker = grains.GetGrain<IModelWorkerGrain>(key);
        var cacheId = $"http/{Guid.NewGuid():N}";
        var stops = new StopSequenceFilter(sampling.Stop);
        var logprobs = sampling.TopLogprobs is null ? null : new LogprobAligner();
        var tokens = 0;
        try
        {
            await foreach (var e in worker.Generate(new WorkerRequest
            {
                CacheId = cacheId,
                Tokens = [.. prompt],
                Temperature = sampling.Temperature,
                TopP = sampling.TopP,
                MaxNewTokens = sampling.MaxTokens ?? room,
                Seed = sampling.Seed ?? (ulong)Random.Shared.NextInt64(),
                Logprobs = logprobs is not null,
                TopLogprobs = sampling.TopLogprobs ?? 0,
                // The worker stops generating at a stop sequence; the filter cuts the text exactly there.
                Stop = [.. sampling.Stop],
            }, cancellationToken))
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
        }
        finally
        {
            await Release(registry, key, worker, cacheId);
        }

        throw new ConversationException(ConversationErrorCode.Unavailable, "The model worker ended the turn without a result; send the request again.");
    }

    private static async Task Release(IModelRegistryGrain registry, string key, IModelWorkerGrain worker, string cacheId)
    {
        try
        {
            await worker.DropCache(cacheId);
            await registry.ReleaseWorker(key);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or ConversationException)
        {
            // The worker or registry is gone (silo stopping or lost); its caches and counts went with it.
        }
    }

    private void CheckFits(string model, int promptTokens, string param)
    {
        var limit = catalog.ContextLimit(model);
        if (promptTokens >= limit)
        {
            throw ApiException.BadRequest(
                $"This model's maximum context length is {limit} tokens. However, your {param} resulted in {promptTokens} tokens, " +
                "leaving no room for a completion. Please reduce the length.", param, "context_length_exceeded");
        }
    }

    private ITokenizer Tokenizer(string model)
    {
        var path = catalog.Get(model).Tokenizer;
        lock (_tokenizersLock)
        {
            if (!_tokenizers.TryGetValue(model, out var tokenizer))
            {
                _tokenizers[model] = tokenizer = TokenizerLoader.Load(path);
            }

            return tokenizer;
        }
    }
}
