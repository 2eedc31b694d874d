using Llama.Generation;
using Llama.Model;

namespace Llama.Serving;

/// <summary>How a turn whose tokens have all been through the model gets its next token, and how its turn ends.</summary>
internal static class TurnSampler
{
    /// <summary>
    /// How the device samples a turn this step: a turn that will sample draws from its seeded generator exactly as the CPU
    /// sampler would, so a seed gives the same tokens on either side.
    /// </summary>
    public static RowSampling DeviceRow(ScheduledTurn scheduled)
    {
        var (turn, count, _) = scheduled;
        var options = turn.Request.Options;
        var samples = turn.Pending == count && turn.Generated < turn.MaxGenLen;
        var draw = samples && options.Temperature != 0 ? turn.Random.NextDouble() : 0;
        return new RowSampling(options.Temperature, options.TopP, draw, samples && turn.Logprobs is not null);
    }

    /// <summary>
    /// Samples the turn's next token from <paramref name="logits"/>, or takes <paramref name="deviceToken"/> when the
    /// model sampled on its device, and records why the turn ends when it does. Null, sampling nothing, when the turn
    /// already generated its max_gen_len tokens.
    /// </summary>
    public static int? Sample(TurnState turn, float[]? logits, int? deviceToken, IReadOnlySet<int> stopTokens)
    {
        if (turn.Generated >= turn.MaxGenLen)
        {
            turn.Finish = FinishReason.Length;
            return null;
        }

        var options = turn.Request.Options;
        var token = deviceToken ?? Sampler.Sample(logits!, options.Temperature, options.TopP, turn.Random);
        turn.Sampled(logits, token);
        turn.Tokens.Add(token);
        turn.Decoding = true;
        if (stopTokens.Contains(token))
        {
            turn.Finish = FinishReason.Stop;
        }
        else if (turn.StopText?.Add(token) == true)
        {
            // A stop sequence ends the turn here: no token after it is generated, and its place in the batch frees.
            turn.Finish = FinishReason.Stop;
            turn.StoppedOnText = true;
        }
        else if (turn.Generated >= turn.MaxGenLen)
        {
            turn.Finish = FinishReason.Length;
        }

        return token;
    }
}
