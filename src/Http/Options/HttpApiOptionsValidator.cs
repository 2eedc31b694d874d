using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Http.Options;

/// <summary>Checks the "Http" section when the host starts, so a bad key or limit stops it with a clear message.</summary>
internal sealed partial class HttpApiOptionsValidator : IValidateOptions<HttpApiOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpApiOptions options)
    {
        var errors = new List<string>();
        const string Section = HttpApiOptions.SectionName;
        if (options.MaxRequestBodyBytes <= 0)
        {
            errors.Add($"{Section}:MaxRequestBodyBytes must be positive, got {options.MaxRequestBodyBytes}.");
        }

        CheckLimits(errors, $"{Section}:RateLimits", options.RateLimits.RequestsPerMinute, options.RateLimits.MaxConcurrentStreams);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var path = $"{Section}:ApiKeys:{i}";
            if (!TenantName().IsMatch(key.Tenant))
            {
                errors.Add($"{path}:Tenant '{key.Tenant}' must be 1-64 letters, digits, '-', '_' or '.'.");
            }

            if (string.IsNullOrWhiteSpace(key.Name))
            {
                errors.Add($"{path}:Name is empty.");
            }

            if (!Sha256Hex().IsMatch(key.Sha256))
            {
                errors.Add($"{path}:Sha256 must be the 64 hex digits of the key's SHA-256, not the key itself.");
            }

            CheckLimits(errors, path, key.RequestsPerMinute, key.MaxConcurrentStreams);
        }

        foreach (var duplicate in options.ApiKeys.GroupBy(k => k.Sha256.ToUpperInvariant()).Where(g => g.Count() > 1))
        {
            errors.Add($"{Section}:ApiKeys has the same key more than once ({string.Join(", ", duplicate.Select(k => k.Name))}).");
        }

        CheckMetricsUrls(errors, options);
        foreach (var (tenant, quota) in options.Quotas)
        {
            if (quota.DailyTokens is < 0)
            {
                errors.Add($"{Section}:Quotas:{tenant}:DailyTokens must be 0 or more, got {quota.DailyTokens}.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The metrics listener must be one of its own: on an API port, /metrics would be public again.</summary>
    private static void CheckMetricsUrls(List<string> errors, HttpApiOptions options)
    {
        var apiPorts = new HashSet<int>();
        foreach (var url in options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Port(url) is { } port)
            {
                apiPorts.Add(port);
            }
        }

        foreach (var url in options.Metrics.UrlList)
        {
            if (Port(url) is not { } port)
            {
                errors.Add($"{HttpApiOptions.SectionName}:Metrics:Urls has '{url}', which is not a URL such as http://0.0.0.0:9090.");
            }
            else if (apiPorts.Contains(port))
            {
                errors.Add($"{HttpApiOptions.SectionName}:Metrics:Urls must use a port of its own, not {port} of {HttpApiOptions.SectionName}:Urls.");
            }
        }
    }

    private static int? Port(string url)
    {
        try
        {
            return BindingAddress.Parse(url).Port;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static void CheckLimits(List<string> errors, string path, int? requestsPerMinute, int? streams)
    {
        if (requestsPerMinute is < 0)
        {
            errors.Add($"{path}:RequestsPerMinute must be 0 (unlimited) or more, got {requestsPerMinute}.");
        }

        if (streams is < 0)
        {
            errors.Add($"{path}:MaxConcurrentStreams must be 0 (unlimited) or more, got {streams}.");
        }
    }

    /// <summary>Tenant names become part of grain keys, so they stay plain.</summary>
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex TenantName();

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Hex();
}
