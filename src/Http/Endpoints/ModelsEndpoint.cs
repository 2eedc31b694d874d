using LlamaOrleans.Grains;
using LlamaOrleans.Http.Json;

namespace LlamaOrleans.Http.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models the cluster serves.</summary>
public sealed class ModelsEndpoint(ModelCatalog catalog)
{
    /// <summary>Models have no creation time of their own; this API reports the Llama 2 release (2023-07-18).</summary>
    private static readonly long Created = new DateTimeOffset(2023, 7, 18, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    public ModelList List() => new([.. catalog.Options.Models.Select(m => Info(m.Name))]);

    public ModelInfo Get(string id) => Info(catalog.Get(id).Name);

    private ModelInfo Info(string name) => new(name, Created, "llama-orleans", catalog.ContextLimit(name));
}
