namespace LlamaOrleans.Http.Auth;

/// <summary>
/// Endpoint metadata of every route that needs a caller. <see cref="ApiKeyMiddleware"/> runs after routing and checks
/// the endpoint a request reached, so no spelling of its path (case, doubled slashes, dot segments, percent-encoding)
/// reaches it unauthenticated.
/// </summary>
public sealed class CallerRequired
{
    public static readonly CallerRequired Instance = new();

    private CallerRequired()
    {
    }
}
