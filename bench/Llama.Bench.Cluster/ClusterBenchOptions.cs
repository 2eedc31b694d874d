using System.Globalization;

namespace Llama.Bench.Cluster;

/// <summary>Command-line options of the cluster load bench.</summary>
internal sealed record ClusterBenchOptions
{
    public const string Usage =
        "usage: Llama.Bench.Cluster [--conversations N (64)] [--turns N (20)] [--silos N (3)] [--reply-tokens N (32)]\n" +
        "                           [--scenario both|steady|kill (both)] [--transport http|orleans (http)]\n" +
        "                           [--silo-setting Key=Value ...]\n" +
        "  Starts N llama-orleans-silo processes on loopback (Localhost clustering and one SQLite file unless\n" +
        "  --silo-setting says otherwise, e.g. Orleans:ClusteringMode=Redis, Storage:Provider=Redis,\n" +
        "  ConnectionStrings:Redis=127.0.0.1:6379), each serving the HTTP API on a port of its own, and runs the\n" +
        "  conversations' turns through the HTTP API (spread over the silos) or the Orleans client;\n" +
        "  'kill' kills one silo (SIGKILL) a third of the way through.";

    public int Conversations { get; init; } = 64;

    public int Turns { get; init; } = 20;

    public int Silos { get; init; } = 3;

    public int ReplyTokens { get; init; } = 32;

    public IReadOnlyList<Scenario> Scenarios { get; init; } = [Scenario.Steady, Scenario.Kill];

    public Transport Transport { get; init; } = Transport.Http;

    public IReadOnlyDictionary<string, string> SiloSettings { get; init; } = new Dictionary<string, string>();

    /// <exception cref="ArgumentException">An option is unknown or its value invalid.</exception>
    public static ClusterBenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ClusterBenchOptions();
        var settings = new Dictionary<string, string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            options = name switch
            {
                "--conversations" => options with { Conversations = Positive(name, Value()) },
                "--turns" => options with { Turns = Positive(name, Value()) },
                "--silos" => options with { Silos = Positive(name, Value()) },
                "--reply-tokens" => options with { ReplyTokens = Positive(name, Value()) },
                "--scenario" => options with
                {
                    Scenarios = Value() switch
                    {
                        "both" => [Scenario.Steady, Scenario.Kill],
                        "steady" => [Scenario.Steady],
                        "kill" => [Scenario.Kill],
                        var other => throw new ArgumentException($"--scenario '{other}': expected both, steady or kill."),
                    },
                },
                "--transport" => options with
                {
                    Transport = Value() switch
                    {
                        "http" => Transport.Http,
                        "orleans" => Transport.Orleans,
                        var other => throw new ArgumentException($"--transport '{other}': expected http or orleans."),
                    },
                },
                "--silo-setting" => AddSetting(options, settings, Value()),
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }

        if (options.Scenarios.Contains(Scenario.Kill) && options.Silos < 2)
        {
            throw new ArgumentException("The kill scenario needs at least 2 silos.");
        }

        return options with { SiloSettings = settings };
    }

    private static ClusterBenchOptions AddSetting(ClusterBenchOptions options, Dictionary<string, string> settings, string pair)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new ArgumentException($"--silo-setting '{pair}': expected Key=Value.");
        }

        settings[pair[..equals]] = pair[(equals + 1)..];
        return options;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} '{value}': expected a positive whole number.");
}

internal enum Scenario
{
    Steady,
    Kill,
}

/// <summary>How the bench reaches the cluster: its HTTP API (the default) or the Orleans client SDK.</summary>
internal enum Transport
{
    Http,
    Orleans,
}
