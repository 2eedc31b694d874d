using LlamaOrleans.Grains;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Silo;

/// <summary>
/// Makes relative model and tokenizer paths absolute against the application's folder, where the demo model ships,
/// so that the silo finds them whatever its current directory.
/// </summary>
internal sealed class ModelPathResolver : IPostConfigureOptions<LlamaHostingOptions>
{
    public void PostConfigure(string? name, LlamaHostingOptions options)
    {
        foreach (var model in options.Models)
        {
            model.Path = Resolve(model.Path);
            model.Tokenizer = Resolve(model.Tokenizer);
            if (string.IsNullOrWhiteSpace(model.Tokenizer) && model.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            {
                // A GGUF model carries its own vocabulary.
                model.Tokenizer = model.Path;
            }
        }
    }

    private static string Resolve(string path) =>
        string.IsNullOrWhiteSpace(path) || System.IO.Path.IsPathRooted(path)
            ? path
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(AppContext.BaseDirectory, path));
}
