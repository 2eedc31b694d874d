using LlamaOrleans.Grains;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace LlamaOrleans.Parallel.Tests;

/// <summary>
/// Two in-process silos: silo 0 holds rank 0 of "tp" and stage 0 of "pp", silo 1 rank 1 and stage 1, so every step
/// of either model crosses between silos. A third model, "half", has only rank 0 configured anywhere.
/// </summary>
public sealed class TwoSiloCluster() : TestClusterFixture(2, builder => builder.AddSiloBuilderConfigurator<SiloConfigurator>()), IAsyncLifetime
{
    public const string Half = "half";

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await SplitModels.WaitUntilReady(Grains, SplitModels.Tensor);
        await SplitModels.WaitUntilReady(Grains, SplitModels.Pipeline);
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var index = (siloBuilder.Configuration["Orleans:Name"] ?? string.Empty).EndsWith('1') ? 1 : 0;
            var settings = SplitModels.Settings(string.Empty, [index], [index]);
            settings["Models:2:Name"] = Half;
            settings["Models:2:Path"] = SplitModels.Folder;
            settings["Models:2:Tokenizer"] = SplitModels.Tokenizer;
            settings["Models:2:Parallel"] = "Tensor";
            settings["Models:2:Host"] = index == 0 ? "true" : "false";
            settings["Models:2:Ranks:0"] = "0";
            siloBuilder.AddMemoryGrainStorage(StorageNames.Conversations);
            siloBuilder.AddLlamaGrains(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        }
    }
}
