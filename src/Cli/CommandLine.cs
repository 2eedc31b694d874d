using System.Globalization;

namespace Llama.Cli;

/// <summary>
/// "--name value" and "--flag" arguments of one command, checked against the options it knows, so that
/// a typo is an error rather than a silently ignored setting.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public CommandLine(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flags)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{arg}'");
            }

            var name = arg[2..];
            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }

            if (flags.Contains(name))
            {
                if (value is not null)
                {
                    throw new UsageException($"--{name} takes no value");
                }
            }
            else if (valueOptions.Contains(name))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException($"--{name} needs a value");
                    }

                    value = args[++i];
                }
            }
            else
            {
                throw new UsageException($"unknown option '--{name}'");
            }

            if (!_values.TryAdd(name, value))
            {
                throw new UsageException($"--{name} given twice");
            }
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Required(string name) => Get(name) ?? throw new UsageException($"--{name} is required");

    public int? Int(string name, int min = int.MinValue) =>
        Get(name) is not { } text ? null
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min ? v
        : throw new UsageException($"--{name} must be an integer{(min > int.MinValue ? $" of at least {min}" : string.Empty)}, got '{text}'");

    public ulong? ULong(string name) =>
        Get(name) is not { } text ? null
        : ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
        : throw new UsageException($"--{name} must be a non-negative integer, got '{text}'");

    public float? Float(string name) =>
        Get(name) is not { } text ? null
        : float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v) ? v
        : throw new UsageException($"--{name} must be a number, got '{text}'");
}
