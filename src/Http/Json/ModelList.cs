namespace LlamaOrleans.Http.Json;

/// <summary>The answer of <c>GET /v1/models</c>.</summary>
public sealed record ModelList(IReadOnlyList<ModelInfo> Data)
{
    public string Object => "list";
}

/// <summary>A model the cluster serves, with its context length.</summary>
public sealed record ModelInfo(string Id, long Created, string OwnedBy, int ContextLength)
{
    public string Object => "model";
}
