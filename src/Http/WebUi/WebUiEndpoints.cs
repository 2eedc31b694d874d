using System.Collections.Frozen;
using LlamaOrleans.Http.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlamaOrleans.Http.WebUi;

/// <summary>
/// The chat page: static files embedded in this assembly (<c>WebUi/wwwroot</c>), served at <c>/</c> and under
/// <see cref="AssetPrefix"/>. The page talks only to the public /v1 API, so it needs no key of its own and no server
/// state. A strict Content-Security-Policy (own scripts and styles only, no inline code) backs the page's rule of
/// never turning model or user text into HTML.
/// </summary>
public static class WebUiEndpoints
{
    public const string AssetPrefix = "/ui";

    private const string ResourcePrefix = "LlamaOrleans.Http.WebUi.";
    private const string Index = "index.html";

    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The embedded files by name, read once.</summary>
    private static readonly Lazy<FrozenDictionary<string, byte[]>> Files = new(Load);

    /// <summary>Maps the page unless <c>Http:WebUi:Enabled</c> is false.</summary>
    public static WebApplication MapLlamaWebUi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Services.GetRequiredService<IOptions<HttpApiOptions>>().Value.WebUi.Enabled)
        {
            return app;
        }

        app.MapGet("/", (HttpContext context) => Serve(context, Index)).ExcludeFromDescription();
        app.MapGet(AssetPrefix + "/{file}", (HttpContext context, string file) => Serve(context, file)).ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Files.Value.TryGetValue(file, out var bytes) || !ContentTypes.TryGetValue(Path.GetExtension(file), out var type))
        {
            return Results.NotFound();
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // The files change only with the server's build: revalidating is cheap, and a stale page is never run.
        headers.CacheControl = "no-cache";
        return Results.Bytes(bytes, type);
    }

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(WebUiEndpoints).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name[ResourcePrefix.Length..]] = copy.ToArray();
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
