using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LlamaOrleans.Testing;

namespace LlamaOrleans.Cluster.Tests;

/// <summary>
/// Two silo processes serving HTTP in one Redis cluster, one tenant's daily quota: requests raced at both silos at once
/// spend at most the quota plus one request, because the reservations are the cluster's, not each silo's.
/// </summary>
public sealed class QuotaClusterTests(RedisBackend backend) : IClassFixture<RedisBackend>
{
    private const int Quota = 100;
    private const int MaxTokens = 30;
    private const int RequestsPerSilo = 8;

    [Fact]
    public async Task Requests_raced_at_two_silos_overshoot_the_tenants_quota_by_at_most_one_request()
    {
        var httpPorts = FreePorts.Take(2);
        await using var cluster = await BackendProcessCluster.StartAsync(backend, silos: 2,
            new Dictionary<string, string> { [$"Http:Quotas:default:DailyTokens"] = Quota.ToString(CultureInfo.InvariantCulture) },
            i => new Dictionary<string, string> { ["Http:Urls"] = $"http://127.0.0.1:{httpPorts[i]}" });
        var clients = httpPorts.Select(p => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{p}/"), Timeout = TimeSpan.FromMinutes(2) }).ToArray();
        try
        {
            for (var i = 0; i < clients.Length; i++)
            {
                await cluster.Members[i].Process.WaitUntilHttpReadyAsync(clients[i].BaseAddress!, TimeSpan.FromMinutes(1));
            }

            var body = $$"""{"model":"demo","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":{{MaxTokens}},"temperature":0}""";
            var answers = await Task.WhenAll(clients.SelectMany(c => Enumerable.Range(0, RequestsPerSilo).Select(async _ =>
            {
                using var response = await c.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
                return (response.StatusCode, Body: JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
            })));

            var admitted = answers.Where(a => a.StatusCode == HttpStatusCode.OK).ToArray();
            Assert.NotEmpty(admitted);
            Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a =>
            {
                Assert.Equal((HttpStatusCode)429, a.StatusCode);
                Assert.Equal("insufficient_quota", a.Body.GetProperty("error").GetProperty("code").GetString());
            });
            var oneRequest = admitted.Max(a => a.Body.GetProperty("usage").GetProperty("prompt_tokens").GetInt64()) + MaxTokens;
            var spent = admitted.Sum(a => a.Body.GetProperty("usage").GetProperty("total_tokens").GetInt64());
            Assert.InRange(spent, 1, Quota + oneRequest);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
