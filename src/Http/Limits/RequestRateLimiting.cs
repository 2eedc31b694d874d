using System.Threading.RateLimiting;
using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace LlamaOrleans.Http.Limits;

/// <summary>Each key's requests per minute, with ASP.NET Core's rate limiter: fixed one-minute windows, no queue, 429 + Retry-After.</summary>
internal static class RequestRateLimiting
{
    public static IServiceCollection AddRequestRateLimiting(this IServiceCollection services) =>
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.FindCaller() is { RequestsPerMinute: > 0 and var permits } caller
                    ? RateLimitPartition.GetFixedWindowLimiter(caller.Partition, _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = permits,
                        Window = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter(string.Empty));
            options.OnRejected = (context, _) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                var caller = context.HttpContext.FindCaller();
                return new ValueTask(ApiErrorWriter.WriteAsync(context.HttpContext, new ApiError(429,
                    $"Rate limit reached for key '{caller?.KeyName}': {caller?.RequestsPerMinute} requests per minute.",
                    ApiErrorTypes.RateLimit, Code: "rate_limit_exceeded", RetryAfter: retry)));
            };
        });
}
