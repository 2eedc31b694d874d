using System.Net;
using LlamaOrleans.Http.Options;
using LlamaOrleans.Http.WebUi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlamaOrleans.WebUi.Tests;

/// <summary>The page's files as the web host serves them, and <c>Http:WebUi:Enabled=false</c> turning them off.</summary>
public sealed class WebUiEndpointsTests
{
    [Fact]
    public async Task The_page_and_its_files_are_served_with_their_types_and_a_strict_content_security_policy()
    {
        await using var app = await StartAsync(enabled: null);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        using var index = await client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"/ui/app.js\"></script>", await index.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var policy = string.Join(";", index.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", index.Headers.GetValues("X-Content-Type-Options").Single());

        foreach (var (file, type) in new[] { ("app.js", "text/javascript"), ("api.js", "text/javascript"), ("markdown.js", "text/javascript"), ("style.css", "text/css") })
        {
            using var response = await client.GetAsync(new Uri($"/ui/{file}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        }

        foreach (var missing in new[] { "/ui/nope.js", "/ui/index.htm", "/ui/..%2Fapp.js", "/ui/" })
        {
            using var response = await client.GetAsync(new Uri(missing, UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task Http_WebUi_Enabled_false_serves_no_page()
    {
        await using var app = await StartAsync(enabled: false);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        foreach (var path in new[] { "/", "/ui/app.js" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    /// <summary>A web host with only the page mapped, configured as the silo's is, on a free loopback port.</summary>
    private static async Task<WebApplication> StartAsync(bool? enabled)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (enabled is { } value)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Http:WebUi:Enabled"] = value ? "true" : "false" });
        }

        builder.Services.Configure<HttpApiOptions>(builder.Configuration.GetSection(HttpApiOptions.SectionName));
        builder.WebHost.UseUrls($"http://127.0.0.1:{FreePorts.Take(1)[0]}");
        var app = builder.Build();
        app.MapLlamaWebUi();
        await app.StartAsync();
        return app;
    }
}
