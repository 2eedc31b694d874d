using Llama.Serving;
using Llama.Tokenization;

namespace LlamaOrleans.Grains;

/// <summary>
/// Decodes a reply token by token, and describes each token's log-probabilities with the text it adds: the
/// alternatives get the text and bytes they would have added at the same point of the reply.
/// </summary>
public sealed class ReplyDecoder(ITokenizer tokenizer)
{
    private readonly IncrementalDecoder _decoder = tokenizer.CreateIncrementalDecoder();

    /// <summary>Decodes <paramref name="token"/>; returns the text that became final and, when given its log-probabilities, their description.</summary>
    public string Add(int token, TokenLogprobs? logprobs, out LogprobToken? described)
    {
        if (logprobs is null)
        {
            described = null;
            return _decoder.Add(token);
        }

        // Before the token is added: the alternatives stand where it stands.
        var top = new LogprobAlternative[logprobs.Top.Count];
        for (var i = 0; i < top.Length; i++)
        {
            var alternative = logprobs.Top[i];
            var text = _decoder.Peek(alternative.Token, out var bytes);
            top[i] = new LogprobAlternative { Token = alternative.Token, Text = text, Bytes = bytes, Logprob = alternative.Logprob };
        }

        var added = _decoder.Add(token, out var surface);
        described = new LogprobToken { Token = token, Text = added, Bytes = _decoder.Bytes(token, surface), Logprob = logprobs.Logprob, Top = top };
        return added;
    }

    /// <summary>Ends the reply: the last held-back bytes' text.</summary>
    public string Flush() => _decoder.Flush();
}
