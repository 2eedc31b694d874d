using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlamaOrleans.Grains;

/// <summary>Adds the Llama grains' services to a silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Registers the models of <paramref name="llamaSection"/> (the "Llama" configuration section, see
    /// <see cref="LlamaHostingOptions"/>) and the services conversation and model-worker grains need.
    /// Conversation state goes to the grain storage named <see cref="StorageNames.Conversations"/>, which the
    /// silo must also register.
    /// </summary>
    public static ISiloBuilder AddLlamaGrains(this ISiloBuilder builder, IConfiguration llamaSection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(llamaSection);
        builder.Services.Configure<LlamaHostingOptions>(llamaSection);
        return builder;
    }
}
