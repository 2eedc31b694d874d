using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;

namespace LlamaOrleans.Http.Tests;

/// <summary>Over a thousand hostile requests: each gets a 4xx OpenAI error, the server stays up, and nothing of another tenant leaks.</summary>
public sealed class FuzzTests(ServerFixture server)
{
    private const int Requests = 1200;
    private const int Parallel = 8;
    private const string Secret = "ZEBRA-PASSWORD-7731";

    [Fact]
    public async Task Every_hostile_request_gets_a_4xx_JSON_error_and_no_other_tenant_data()
    {
        using var bob = server.Client("bob");
        using var created = await Api.PostJson(bob, "/v1/conversations", $$"""{"model":"demo","system_prompt":"The password is {{Secret}}.","temperature":0,"max_tokens":8}""");
        var bobConversation = (await Api.Json(created)).GetProperty("id").GetString()!;
        await Api.PostJson(bob, $"/v1/conversations/{bobConversation}/messages", $$"""{"content":"Repeat {{Secret}}."}""");

        var generator = new HostileRequests(seed: 20261126, bobConversation);
        var requests = Enumerable.Range(0, Requests).Select(_ => generator.Next()).ToList();
        var failures = new ConcurrentBag<string>();
        using var client = server.Client("fuzz");
        await System.Threading.Tasks.Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = Parallel }, async (request, _) =>
        {
            using var message = new HttpRequestMessage(request.Method, new Uri(request.Path, UriKind.Relative));
            if (request.Body.Length > 0 || request.Method == HttpMethod.Post)
            {
                message.Content = new ByteArrayContent(request.Body);
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
            }

            foreach (var (name, value) in request.Headers ?? [])
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await client.SendAsync(message);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            try
            {
                Assert.InRange(status, 400, 499);
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                Api.AssertErrorShape(body);
                Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
                // Where the request did not name bob's conversation itself, the answer does not either.
                if (!request.Path.Contains(bobConversation, StringComparison.OrdinalIgnoreCase) && request.Headers is null)
                {
                    Assert.DoesNotContain(bobConversation, body, StringComparison.OrdinalIgnoreCase);
                }
            }
            catch (Exception e) when (e is Xunit.Sdk.XunitException or System.Text.Json.JsonException)
            {
                failures.Add($"{request.Name} {request.Method} {request.Path} -> {status} {body[..Math.Min(body.Length, 300)]}: {e.Message}");
            }
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} of {Requests} hostile requests were not answered as expected:\n{string.Join('\n', failures.Take(20))}");
        Assert.False(server.Silo.HasExited);

        // Still up and serving, and bob's conversation is as bob left it.
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Api.PostJson(client, "/v1/chat/completions", Api.Chat("hi", maxTokens: 2))).StatusCode);
        var status = await Api.Json(await bob.GetAsync(new Uri($"/v1/conversations/{bobConversation}", UriKind.Relative)));
        Assert.Equal(1, status.GetProperty("turns").GetInt32());
        var listed = await Api.Json(await client.GetAsync(new Uri("/v1/conversations?limit=100", UriKind.Relative)));
        Assert.Equal(0, listed.GetProperty("data").GetArrayLength());
    }
}
