namespace Llama.Serving;

/// <summary>The cache a turn wanted to reuse is gone or holds other tokens; the caller re-sends the whole prompt.</summary>
public sealed class CacheMissException(string message) : Exception(message);
