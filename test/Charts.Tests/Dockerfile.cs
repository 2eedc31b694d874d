using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlamaOrleans.Charts.Tests;

/// <summary>One instruction of a Dockerfile: its keyword (upper case) and its arguments, continuation lines joined.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments)
{
    /// <summary>The arguments of an exec-form instruction (<c>["a", "b"]</c>).</summary>
    public IReadOnlyList<string> ExecForm() =>
        JsonSerializer.Deserialize<string[]>(Arguments) ?? throw new FormatException($"{Keyword} is not in exec form: {Arguments}");
}

/// <summary>A build stage: its base image, its name, and its instructions.</summary>
internal sealed record DockerStage(string BaseImage, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public DockerInstruction Last(string keyword) => Instructions.Last(i => i.Keyword == keyword);
}

/// <summary>
/// A Dockerfile read into its stages, enough to check and replay its recipe without a container engine (none is
/// available in CI): comments and blank lines dropped, backslash continuations joined, global ARG defaults kept.
/// </summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyDictionary<string, string> globalArguments, IReadOnlyList<DockerStage> stages)
    {
        GlobalArguments = globalArguments;
        Stages = stages;
    }

    /// <summary>ARGs before the first FROM, with their defaults.</summary>
    public IReadOnlyDictionary<string, string> GlobalArguments { get; }

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public DockerStage Stage(string name) => Stages.Single(s => s.Name == name);

    public static Dockerfile Load(string path)
    {
        var instructions = new List<DockerInstruction>();
        var pending = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1].TrimEnd() + " ";
                continue;
            }

            var whole = pending + line;
            pending = "";
            var space = whole.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add(new DockerInstruction(whole[..space].ToUpperInvariant(), whole[(space + 1)..].Trim()));
        }

        var globals = new Dictionary<string, string>();
        var stages = new List<DockerStage>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                var from = FromPattern().Match(instruction.Arguments);
                if (!from.Success)
                {
                    throw new FormatException($"{path}: cannot read FROM {instruction.Arguments}");
                }

                stages.Add(new DockerStage(
                    Expand(from.Groups["image"].Value, globals),
                    from.Groups["name"].Success ? from.Groups["name"].Value : null,
                    []));
            }
            else if (stages.Count == 0)
            {
                if (instruction.Keyword != "ARG")
                {
                    throw new FormatException($"{path}: {instruction.Keyword} before the first FROM");
                }

                var parts = instruction.Arguments.Split('=', 2);
                globals[parts[0]] = parts.Length > 1 ? parts[1] : "";
            }
            else
            {
                var stage = stages[^1];
                stages[^1] = stage with { Instructions = [.. stage.Instructions, instruction] };
            }
        }

        return new Dockerfile(globals, stages);
    }

    private static string Expand(string text, IReadOnlyDictionary<string, string> arguments) =>
        ArgumentPattern().Replace(text, m => arguments.TryGetValue(m.Groups[1].Value, out var value)
            ? value
            : throw new FormatException($"unknown build argument {m.Value}"));

    [GeneratedRegex(@"^(?:--platform=\S+\s+)?(?<image>\S+)(?:\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromPattern();

    [GeneratedRegex(@"\$\{(\w+)\}")]
    private static partial Regex ArgumentPattern();
}
