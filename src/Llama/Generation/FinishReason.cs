namespace Llama.Generation;

/// <summary>Why a sequence stopped: it produced a stop token, or it used its whole length budget.</summary>
public enum FinishReason
{
    Stop,
    Length,
}
