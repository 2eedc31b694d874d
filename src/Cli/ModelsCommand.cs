using LlamaOrleans;
using LlamaOrleans.Client;
using Orleans.Runtime;

namespace Llama.Cli;

/// <summary>
/// <c>llama-orleans models</c>: what a running cluster serves. Each model with its layout; a whole model with the silos
/// hosting it, a split one with each rank (or stage), the silo running it and its state, and whether it is ready.
/// </summary>
internal static class ModelsCommand
{
    public const string Usage =
        "llama-orleans models " + ClusterAddress.Usage + " [--json]\n" +
        "    each model of a running cluster: hosting silos, or each rank/stage with its silo and state";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        RunAsync(args, stdout, stderr, cancellationToken).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var line = new CommandLine(args, ClusterAddress.OptionNames, ["json"]);
        var address = ClusterAddress.From(line);

        return await ClusterCommand.RunAsync(address, stderr, async () =>
        {
            await using var connection = await ChatConnection.OpenAsync(address, cancellationToken);
            var models = await connection.Grains.GetGrain<IModelRegistryGrain>(0).GetModels().WaitAsync(cancellationToken);
            if (line.Has("json"))
            {
                ModelsOutput.WriteJson(models, stdout);
            }
            else
            {
                ModelsOutput.Write(models, stdout);
            }

            return 0;
        });
    }
}
