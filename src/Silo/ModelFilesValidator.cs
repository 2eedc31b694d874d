using LlamaOrleans.Grains;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Silo;

/// <summary>
/// Checks the "Llama" section when the silo starts: every model has a distinct name, and a model this silo hosts has
/// a checkpoint (or valid random weights) and a tokenizer that exist, and the numbers the engine does not check itself are in range.
/// </summary>
internal sealed class ModelFilesValidator : IValidateOptions<LlamaHostingOptions>
{
    public ValidateOptionsResult Validate(string? name, LlamaHostingOptions options)
    {
        var failures = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Models.Count; i++)
        {
            var model = options.Models[i];
            var key = $"{LlamaHostingOptions.SectionName}:Models:{i}";
            if (string.IsNullOrWhiteSpace(model.Name))
            {
                failures.Add($"{key}:Name is empty.");
            }
            else if (!names.Add(model.Name))
            {
                failures.Add($"{key}:Name '{model.Name}' is used by an earlier model too.");
            }

            if (model.MaxSeqLen < 1)
            {
                failures.Add($"{key}:MaxSeqLen is {model.MaxSeqLen}; it must be positive.");
            }

            try
            {
                Llama.Model.EngineOptions.ParseQuantization(model.Quantization);
            }
            catch (ArgumentException e)
            {
                failures.Add($"{key}:Quantization: {e.Message}");
            }

            if (model.StreamIntervalMs < 0)
            {
                failures.Add($"{key}:StreamIntervalMs is {model.StreamIntervalMs}; it must be 0 or more.");
            }

            if (model.Random is { } random)
            {
                if (!string.IsNullOrWhiteSpace(model.Path))
                {
                    failures.Add($"{key}:Path and {key}:Random are both set; a model has a checkpoint or random weights, not both.");
                }

                if (model.Parallel != ModelParallelism.None)
                {
                    failures.Add($"{key}:Random serves whole models only, but {key}:Parallel is {model.Parallel}.");
                }

                failures.AddRange(random.Problems($"{key}:Random"));
            }

            if (model.Host)
            {
                if (model.Random is null)
                {
                    CheckExists(failures, $"{key}:Path", "checkpoint", model.Name, model.Path, folderAllowed: true);
                }

                CheckExists(failures, $"{key}:Tokenizer", "tokenizer", model.Name, model.Tokenizer, folderAllowed: false);
            }
        }

        failures.AddRange(options.Conversations.Problems($"{LlamaHostingOptions.SectionName}:Conversations"));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckExists(List<string> failures, string key, string what, string model, string path, bool folderAllowed)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            failures.Add($"{key} is empty, but model '{model}' is hosted here and needs its {what}.");
        }
        else if (!File.Exists(path) && !(folderAllowed && Directory.Exists(path)))
        {
            failures.Add($"{key}: the {what} of model '{model}', '{path}', does not exist.");
        }
    }
}
