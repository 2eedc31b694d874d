using System.Globalization;

namespace LlamaOrleans;

/// <summary>
/// The rules for sampling settings, as Meta's <c>generate</c> takes them: each check returns null when the value is
/// usable (or absent), else the problem in one line, for the caller to raise as its kind of error (a 400, a usage
/// error, an argument exception). The HTTP API, the conversation grain and the client all check with these.
/// </summary>
public static class SamplingRules
{
    /// <summary>OpenAI's highest temperature, which the HTTP API keeps to.</summary>
    public const double OpenAiMaxTemperature = 2;

    /// <summary>0 samples greedily; above 0 it scales the logits. At most <paramref name="max"/> when given.</summary>
    public static string? Temperature(double? temperature, double max = double.PositiveInfinity) =>
        temperature is { } t ? Temperature(t, t.ToString(CultureInfo.InvariantCulture), max) : null;

    /// <inheritdoc cref="Temperature(double?, double)"/>
    public static string? Temperature(float? temperature) =>
        temperature is { } t ? Temperature(t, t.ToString(CultureInfo.InvariantCulture), double.PositiveInfinity) : null;

    /// <summary>In (0, 1], and above 0 in single precision too, where the workers sample.</summary>
    public static string? TopP(double? topP) => topP is { } p ? TopP(p, p.ToString(CultureInfo.InvariantCulture)) : null;

    /// <inheritdoc cref="TopP(double?)"/>
    public static string? TopP(float? topP) => topP is { } p ? TopP(p, p.ToString(CultureInfo.InvariantCulture)) : null;

    /// <summary>
    /// The reply cap: at least 1 and, when the model's <paramref name="contextLimit"/> is known, below it (the prompt
    /// needs a token at least). <paramref name="name"/> is the caller's name for the field.
    /// </summary>
    public static string? MaxReplyTokens(int? maxReplyTokens, string name, int? contextLimit = null, string? model = null) =>
        maxReplyTokens switch
        {
            null => null,
            < 1 when contextLimit is null => Invariant($"{name} must be at least 1, got {maxReplyTokens}."),
            { } n when contextLimit is { } limit && (n < 1 || n >= limit) =>
                Invariant($"{name} must be between 1 and {limit - 1} for model '{model}', got {n}."),
            _ => null,
        };

    private static string? Temperature(double t, string shown, double max) =>
        double.IsFinite(t) && t >= 0 && t <= max
            ? null
            : double.IsPositiveInfinity(max)
                ? $"temperature must be 0 or more, got {shown}."
                : Invariant($"temperature must be between 0 and {max}, got {shown}.");

    private static string? TopP(double p, string shown) =>
        !(double.IsFinite(p) && p > 0 && p <= 1) ? $"top_p must be in (0, 1], got {shown}."
        : (float)p == 0 ? Invariant($"top_p must be at least {float.Epsilon:R} (the smallest single-precision number), got {shown}.")
        : null;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
