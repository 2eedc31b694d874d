using Llama.Chat;
using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;

namespace LlamaOrleans.Parallel.Tests;

/// <summary>
/// The stories260K-meta-mp2 fixture served split across silos: "tp" as Meta's two tensor-parallel shards, "pp" as two
/// pipeline stages of the merged model; and the single-process merged model every split one must agree with.
/// </summary>
internal static class SplitModels
{
    public const string Tensor = "tp";
    public const string Pipeline = "pp";
    public const int MaxSeqLen = 512;
    public const int ReplyTokens = 40;

    public static string Folder => TestData.Path("fixtures/stories260K-meta-mp2");

    public static string Tokenizer => Path.Combine(Folder, "tokenizer.bin");

    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>"Llama" settings of a silo that hosts the given tensor ranks and pipeline stages (no others).</summary>
    public static Dictionary<string, string?> Settings(string prefix, int[] tensorRanks, int[] pipelineStages)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"{prefix}Models:0:Name"] = Tensor,
            [$"{prefix}Models:0:Parallel"] = "Tensor",
            [$"{prefix}Models:1:Name"] = Pipeline,
            [$"{prefix}Models:1:Parallel"] = "Pipeline",
            [$"{prefix}Models:1:Stages"] = "2",
        };
        for (var m = 0; m < 2; m++)
        {
            settings[$"{prefix}Models:{m}:Path"] = Folder;
            settings[$"{prefix}Models:{m}:Tokenizer"] = Tokenizer;
            settings[$"{prefix}Models:{m}:MaxSeqLen"] = "512";
            settings[$"{prefix}Models:{m}:MaxCachedConversations"] = "4";
            settings[$"{prefix}Models:{m}:MaxBatchSequences"] = "4";
            settings[$"{prefix}Models:{m}:Threads"] = "1";
            settings[$"{prefix}Models:{m}:Host"] = "true";
        }

        for (var i = 0; i < tensorRanks.Length; i++)
        {
            settings[$"{prefix}Models:0:Ranks:{i}"] = tensorRanks[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        for (var i = 0; i < pipelineStages.Length; i++)
        {
            settings[$"{prefix}Models:1:Ranks:{i}"] = pipelineStages[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    /// <summary>The merged model's greedy reply to a dialog, computed in this process: what every split layout must say.</summary>
    public static string Reply(IReadOnlyList<Message> dialog)
    {
        using var merged = LlamaGenerator.Build(Folder, Tokenizer, MaxSeqLen, 1);
        return merged.ChatCompletion([dialog], temperature: 0, maxGenLen: ReplyTokens)[0].Generation.Content;
    }

    public static Transformer Merged(int maxBatch)
    {
        using var checkpoint = MetaCheckpoint.Open(Folder);
        return Transformer.Load(checkpoint, checkpoint.Args, MaxSeqLen, maxBatch, new EngineOptions { KvCacheSequences = maxBatch });
    }

    public static ConversationSettings Greedy(string model) => new() { Model = model, Temperature = 0, MaxReplyTokens = ReplyTokens };

    /// <summary>Waits until the registry has every rank of the model placed on a silo that loaded it.</summary>
    public static async Task<ModelStatus> WaitUntilReady(IGrainFactory grains, string model, Func<ModelStatus, bool>? also = null)
    {
        var registry = grains.GetGrain<IModelRegistryGrain>(0);
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var status = await registry.GetModel(model);
            if (status.Ready && (also?.Invoke(status) ?? true))
            {
                return status;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Model {model} did not become ready: {status.Problem}");
            }

            await Task.Delay(100);
        }
    }
}
