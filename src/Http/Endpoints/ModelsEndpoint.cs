using LlamaOrleans.Http.Health;

namespace LlamaOrleans.Http.Endpoints;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models the cluster serves; <c>created</c> is when this
/// silo loaded the model (when it started, for a model it does not host).
/// </summary>
public sealed class ModelsEndpoint(IModelCatalog catalog, IModelReadiness warmup)
{
    public ModelList List() => new([.. catalog.Models.Select(Get)]);

    /// <exception cref="ConversationException"><see cref="ConversationErrorCode.UnknownModel"/>.</exception>
    public ModelInfo Get(string id) => new(id, warmup.LoadedAt(id).ToUnixTimeSeconds(), "llama-orleans", catalog.ContextLimit(id));
}
