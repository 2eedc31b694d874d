namespace Llama.Generation;

/// <summary>Why a sequence stopped: it produced a stop token, or it generated max_gen_len tokens (or filled max_seq_len).</summary>
public enum FinishReason
{
    Stop,
    Length,
}
