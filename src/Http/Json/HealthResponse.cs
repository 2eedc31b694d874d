namespace LlamaOrleans.Http.Json;

/// <summary>The answer of <c>/healthz</c> and <c>/readyz</c>; <see cref="Models"/> lists the hosted models' state.</summary>
public sealed record HealthResponse(string Status, string? Silo = null, IReadOnlyDictionary<string, string>? Models = null);
