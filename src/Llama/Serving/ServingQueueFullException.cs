namespace Llama.Serving;

/// <summary>A turn was refused because <see cref="ServingOptions.MaxQueuedRequests"/> turns already wait.</summary>
public sealed class ServingQueueFullException(string message) : InvalidOperationException(message);
