using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime;

namespace LlamaOrleans.Grains;

/// <summary>Adds the Llama grains' services to a silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Registers the models of <paramref name="llamaSection"/> (the "Llama" configuration section, see
    /// <see cref="LlamaHostingOptions"/>), the silo's model host, its registration with the model registry, and
    /// the placement of model workers. Conversation state goes to the grain storage named
    /// <see cref="StorageNames.Conversations"/>, which the silo must also register.
    /// </summary>
    public static ISiloBuilder AddLlamaGrains(this ISiloBuilder builder, IConfiguration llamaSection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(llamaSection);
        builder.Services.Configure<LlamaHostingOptions>(llamaSection);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<WorkerTurnClient>();
        builder.Services.AddSingleton<TurnGate>();
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddSingleton<ModelRegistration>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ModelRegistration>());
        builder.AddPlacementDirector<ModelWorkerPlacement, ModelWorkerPlacementDirector>();
        return builder;
    }
}
