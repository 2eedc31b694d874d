using LlamaOrleans.Grains;
using LlamaOrleans.Http.Health;
using LlamaOrleans.Http.Json;

namespace LlamaOrleans.Http.Endpoints;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models the cluster serves; <c>created</c> is when this
/// silo loaded the model (when it started, for a model it does not host).
/// </summary>
public sealed class ModelsEndpoint(ModelCatalog catalog, ModelWarmup warmup)
{
    public ModelList List() => new([.. catalog.Options.Models.Select(m => Info(m.Name))]);

    public ModelInfo Get(string id) => Info(catalog.Get(id).Name);

    private ModelInfo Info(string name) => new(name, warmup.LoadedAt(name).ToUnixTimeSeconds(), "llama-orleans", catalog.ContextLimit(name));
}
