namespace LlamaOrleans.Http.Health;

/// <summary>Whether this silo's hosted models are loaded, as readiness and the model list report it (the silo warms them up).</summary>
public interface IModelReadiness
{
    /// <summary>Each hosted model's state: loading, loaded, or the last load error.</summary>
    IReadOnlyDictionary<string, string> States { get; }

    /// <summary>Whether every model this silo hosts is loaded.</summary>
    bool AllLoaded { get; }

    /// <summary>When this silo loaded <paramref name="model"/>; for a model it does not host (or has not loaded yet), when the silo started.</summary>
    DateTimeOffset LoadedAt(string model);
}
