using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace LlamaOrleans.Grains;

/// <summary>Places a model worker on the silo named in its key ("{model}@{silo}"), the one that loaded the model.</summary>
[GenerateSerializer]
[Immutable]
[SuppressReferenceTracking]
[Alias("llama.ModelWorkerPlacement")]
public sealed class ModelWorkerPlacement : PlacementStrategy
{
    public static ModelWorkerPlacement Instance { get; } = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ModelWorkerPlacementAttribute() : PlacementAttribute(ModelWorkerPlacement.Instance);

/// <summary>
/// Refuses to place a worker anywhere but its silo: a worker elsewhere would load a model that silo was
/// not configured to host.
/// </summary>
public sealed class ModelWorkerPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var (model, silo) = ModelWorkerKey.Parse(target.GrainIdentity.Key.ToString()!);
        var address = SiloAddress.FromParsableString(silo);
        if (!context.GetCompatibleSilos(target).Contains(address))
        {
            throw new ConversationException(ConversationErrorCode.Unavailable,
                $"Silo {silo} hosting model '{model}' is not active; the conversation moves to another worker.");
        }

        return Task.FromResult(address);
    }
}
