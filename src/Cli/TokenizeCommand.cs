using Llama.Chat;
using Llama.Tokenization;

namespace Llama.Cli;

/// <summary>
/// <c>llama-orleans tokenize</c>: prints the token ids a text or a chat dialog becomes, as a JSON array,
/// so users see exactly what reaches the model.
/// </summary>
internal static class TokenizeCommand
{
    public const string Usage = "llama-orleans tokenize --tokenizer PATH (--text TEXT | --dialog FILE.json) [--bos] [--eos]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var line = new CommandLine(args, ["tokenizer", "text", "dialog"], ["bos", "eos"]);
        var tokenizer = TokenizerLoader.Load(line.Required("tokenizer"));
        IReadOnlyList<int> ids;
        if (line.Get("dialog") is { } dialogPath)
        {
            if (line.Has("text") || line.Has("bos") || line.Has("eos"))
            {
                throw new UsageException("--dialog takes neither --text, --bos nor --eos: the chat format places BOS and EOS itself");
            }

            if (!File.Exists(dialogPath))
            {
                throw new FileNotFoundException($"Dialog file not found: {dialogPath}");
            }

            var prompt = new ChatFormat(tokenizer).Encode(DialogJson.Parse(File.ReadAllText(dialogPath)));
            if (prompt.HasSpecialTags)
            {
                stderr.WriteLine($"warning: the dialog contains special tags; the reply would be: {ChatFormat.UnsafeReply}");
            }

            ids = prompt.Ids;
        }
        else
        {
            var text = line.Get("text") ?? throw new UsageException("give --text TEXT or --dialog FILE.json");
            ids = tokenizer.Encode(text, line.Has("bos"), line.Has("eos"));
        }

        stdout.WriteLine($"[{string.Join(", ", ids)}]");
        return 0;
    }
}
