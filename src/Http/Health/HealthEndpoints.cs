using LlamaOrleans.Http.Json;
using Microsoft.AspNetCore.Http;
using Orleans.Runtime;

namespace LlamaOrleans.Http.Health;

/// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: the silo is an active cluster member and its hosted models are loaded.</summary>
public sealed class HealthEndpoints(IClusterMembershipService membership, ILocalSiloDetails silo, IModelReadiness warmup)
{
    public static HealthResponse Healthy() => new("ok");

    public IResult Ready()
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        var ready = status == SiloStatus.Active && warmup.AllLoaded;
        var body = new HealthResponse(ready ? "ready" : "not ready", status.ToString(), warmup.States);
        return TypedResults.Json(body, ApiJsonContext.Default.HealthResponse, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
