using System.Globalization;
using Llama.Model;

namespace Llama.Bench.Serving;

/// <summary>Command-line options of the serving bench.</summary>
internal sealed record ServingBenchOptions(
    int Threads,
    int Streams,
    int Tokens,
    int Turns,
    int Conversations,
    int ReplyTokens,
    IReadOnlyList<string> Sections,
    long? KvBudget,
    string Device = "cpu",
    int? PrefillChunk = null,
    int LongTurns = 60,
    string? KvDType = null)
{
    public const string EngineSection = "engine";

    public const string OrleansSection = "orleans";

    public const string MultiTurnSection = "multiturn";

    public const string BaselineSection = "baseline";

    public const string MemorySection = "memory";

    public const string LongChatSection = "longchat";

    public static IReadOnlyList<string> KnownSections { get; } = [EngineSection, OrleansSection, MultiTurnSection, BaselineSection, MemorySection, LongChatSection];

    public static ServingBenchOptions Defaults { get; } =
        new(Environment.ProcessorCount, 32, 128, 20, 32, 16, KnownSections, null);

    public static string Usage =>
        $"""
        Usage: dotnet run -c Release --project bench/Llama.Bench.Serving -- [options]
          --threads T         CPU threads of the engine in every section (default: {Environment.ProcessorCount}, the logical CPU count)
          --streams S         concurrent streams of the engine and orleans sections (default: {Defaults.Streams})
          --tokens N          tokens generated per stream in the engine and orleans sections (default: {Defaults.Tokens})
          --turns T           turns per conversation in the multiturn, baseline and memory sections (default: {Defaults.Turns})
          --conversations C   conversations in the multiturn, baseline, memory and longchat sections (default: {Defaults.Conversations})
          --reply-tokens R    reply budget of each turn in the multiturn, baseline, memory and longchat sections (default: {Defaults.ReplyTokens})
          --long-turns T      turns per conversation in the longchat section, on the demo model past its 512-token context
                              (default: {Defaults.LongTurns}; it measures from turn {Serving.LongChatSection.FromTurn} on)
          --sections LIST     comma-separated, from {string.Join(',', KnownSections)} (default: all, in that order)
          --device D          cpu, cuda or cuda:N for the engine in every section (default: cpu; a GPU computes in bfloat16)
          --prefill-chunk N   most prompt tokens a worker computes per step in the orleans, multiturn and baseline
                              sections (default: the silo's, PrefillChunkTokens)
          --kv-dtype T        KV cache element type in every section: float32, bfloat16 or float16 (default: the
                              engine's, the compute precision)
          --kv-budget SIZE    KV cache budget of the memory section's constrained run, in bytes with an optional
                              K, M or G suffix (powers of 1024); default: half of what the unconstrained run held
        """;

    /// <summary>Parses the arguments; throws <see cref="BenchException"/> naming the first bad one.</summary>
    public static ServingBenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = Defaults;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!KnownOption(name))
            {
                throw new BenchException($"Unknown option '{name}'; see --help.");
            }

            if (i + 1 >= args.Count)
            {
                throw new BenchException($"{name} needs a value.");
            }

            var value = args[++i];
            options = name switch
            {
                "--threads" => options with { Threads = AtLeast(1, name, value) },
                "--streams" => options with { Streams = AtLeast(1, name, value) },
                // A decode rate needs two tokens: it is timed from the first to the last.
                "--tokens" => options with { Tokens = AtLeast(2, name, value) },
                "--turns" => options with { Turns = AtLeast(1, name, value) },
                "--conversations" => options with { Conversations = AtLeast(1, name, value) },
                "--reply-tokens" => options with { ReplyTokens = AtLeast(1, name, value) },
                "--sections" => options with { Sections = SectionList(name, value) },
                "--device" => options with { Device = value },
                "--prefill-chunk" => options with { PrefillChunk = AtLeast(1, name, value) },
                "--long-turns" => options with { LongTurns = AtLeast(1, name, value) },
                "--kv-dtype" => options with { KvDType = KvCacheDType(name, value) },
                _ => options with { KvBudget = ByteSize(name, value) },
            };
        }

        return options;
    }

    private static bool KnownOption(string name) =>
        name is "--threads" or "--streams" or "--tokens" or "--turns" or "--conversations" or "--reply-tokens" or "--sections" or "--kv-budget" or "--device" or "--prefill-chunk" or "--long-turns" or "--kv-dtype";

    private static int AtLeast(int minimum, string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= minimum
            ? number
            : throw new BenchException($"{name} needs an integer of at least {minimum}, not '{value}'.");

    private static string KvCacheDType(string name, string value)
    {
        try
        {
            EngineOptions.ParseKvCacheDType(value);
            return value;
        }
        catch (ArgumentException e)
        {
            throw new BenchException($"{name}: {e.Message}");
        }
    }

    /// <summary>The sections named, in the bench's own order (later sections compare against earlier ones).</summary>
    private static string[] SectionList(string name, string value)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(item => item.ToLowerInvariant())
            .ToArray();
        var unknown = items.Where(item => !KnownSections.Contains(item)).ToArray();
        if (items.Length == 0 || unknown.Length > 0)
        {
            throw new BenchException($"{name} takes a comma-separated list from {string.Join(',', KnownSections)}, not '{value}'.");
        }

        return KnownSections.Where(items.Contains).ToArray();
    }

    /// <summary>A positive byte count: digits with an optional K, M or G suffix (powers of 1024).</summary>
    internal static long ByteSize(string name, string value)
    {
        var text = value.Trim();
        var shift = text.Length == 0 ? 0 : char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            _ => 0,
        };
        var digits = shift == 0 ? text : text[..^1];
        if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            && number <= long.MaxValue >> shift)
        {
            return number << shift;
        }

        throw new BenchException($"{name} needs a positive size in bytes, optionally with a K, M or G suffix, not '{value}'.");
    }
}
