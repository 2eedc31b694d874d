using System.Text.Json;
using System.Text.Json.Serialization;
using Llama.Serving;
using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Endpoints;
using LlamaOrleans.Http.Generation;
using LlamaOrleans.Http.Health;
using LlamaOrleans.Http.Json;
using LlamaOrleans.Http.Limits;
using LlamaOrleans.Http.Options;
using LlamaOrleans.Http.Streaming;
using LlamaOrleans.Http.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LlamaOrleans.Http;

/// <summary>
/// Adds the HTTP API to a web host that also hosts the silo (it uses the silo's own grain factory); the host provides
/// the API's view of the grains' side: <see cref="IModelCatalog"/>, <see cref="IStatelessTurns"/> and <see cref="IModelReadiness"/>.
/// </summary>
public static class HttpApiBuilderExtensions
{
    /// <summary>Environment variable that, when set, sends traces to an OTLP collector (OpenTelemetry's standard name).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Orleans' meter, which carries its grain, messaging and membership metrics.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>
    /// Registers the API's services from the "Http" section (<see cref="HttpApiOptions"/>): Kestrel on
    /// <see cref="HttpApiOptions.Urls"/> with the body size limit, API keys, rate limits, quotas, usage metering,
    /// OpenTelemetry metrics (Prometheus) and traces, the OpenAPI document, and Orleans' activity propagation.
    /// </summary>
    public static WebApplicationBuilder AddLlamaHttpApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(HttpApiOptions.SectionName);
        var settings = section.Get<HttpApiOptions>() ?? new HttpApiOptions();
        builder.WebHost.UseUrls([.. settings.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), .. settings.Metrics.UrlList]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });

        var services = builder.Services;
        services.AddOptions<HttpApiOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HttpApiOptions>, HttpApiOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<HttpApiTelemetry>();
        services.AddSingleton<StreamLimiter>();
        services.AddSingleton<UsageMeter>();
        services.AddSingleton<QuotaGuard>();
        services.AddSingleton<StatelessGenerator>();
        services.AddSingleton<ConversationTurns>();
        services.AddSingleton<TurnResponder>();
        services.AddSingleton<ChatCompletionsEndpoint>();
        services.AddSingleton<CompletionsEndpoint>();
        services.AddSingleton<ModelsEndpoint>();
        services.AddSingleton<ConversationsEndpoints>();
        services.AddSingleton<UsageEndpoint>();
        services.AddSingleton<HealthEndpoints>();
        services.AddRequestRateLimiting();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        });
        services.AddLlamaOpenApi();
        AddTelemetry(services);
        builder.UseOrleans(silo => silo.AddActivityPropagation());
        return builder;
    }

    private static void AddTelemetry(IServiceCollection services)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("llama-orleans-silo"))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter(OrleansMeter, ServingMetrics.MeterName, HttpApiTelemetry.Name)
                .AddPrometheusExporter())
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HttpApiRoutes.Metrics, StringComparison.Ordinal))
                    .AddSource(HttpApiTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application");
                if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(OtlpEndpointVariable)))
                {
                    tracing.AddOtlpExporter();
                }
            });
    }
}
