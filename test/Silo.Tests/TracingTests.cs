using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LlamaOrleans.Http.Telemetry;
using LlamaOrleans.Silo;

namespace LlamaOrleans.Tests.Silo;

/// <summary>A turn's trace, from the client's traceparent through the HTTP API and the conversation grain to the model worker.</summary>
public sealed class TracingTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_conversation_turn_is_one_trace_from_the_client_through_the_conversation_grain_to_the_worker()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var traceId = ActivityTraceId.CreateRandom();
        var clientSpan = ActivitySpanId.CreateRandom();
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or HttpApiTelemetry.Name or "Microsoft.Orleans.Runtime" or "Microsoft.Orleans.Application",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == traceId)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var ports = FreePorts.Take(3);
        using var silo = LlamaSiloHost.CreateApplication(
        [
            $"--Orleans:SiloPort={ports[0]}",
            $"--Orleans:GatewayPort={ports[1]}",
            "--Orleans:ServiceId=tracing-test",
            $"--Storage:DataSource={_database.FilePath}",
            $"--Http:Urls=http://127.0.0.1:{ports[2]}",
        ]);
        await silo.StartAsync(cancellation);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports[2]}/"), Timeout = TimeSpan.FromMinutes(1) };
            using var created = await client.PostAsJsonAsync("v1/conversations", new { model = "demo", temperature = 0, max_tokens = 4 }, cancellation);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("id").GetString();

            using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/conversations/{id}/messages")
            {
                Content = JsonContent.Create(new { content = "Tell me a story." }),
            };
            request.Headers.Add("traceparent", $"00-{traceId}-{clientSpan}-01");
            using var response = await client.SendAsync(request, cancellation);
            response.EnsureSuccessStatusCode();
        }
        finally
        {
            await silo.StopAsync(cancellation);
        }

        // Nearest first: the worker grain's side of the call, up to the client's own span.
        var byId = spans.ToDictionary(s => s.SpanId);
        var worker = Assert.Single(spans, s => s.Kind == ActivityKind.Server && Target(s).StartsWith("modelworker/", StringComparison.Ordinal)
            && s.DisplayName.Contains("StartEnumeration", StringComparison.Ordinal));
        var chain = new List<Activity> { worker };
        while (byId.TryGetValue(chain[^1].ParentSpanId, out var parent))
        {
            chain.Add(parent);
        }

        var http = chain[^1];
        Assert.Equal("Microsoft.AspNetCore", http.Source.Name);
        Assert.Equal(ActivityKind.Server, http.Kind);
        Assert.Equal("/v1/conversations/{id}/messages", http.GetTagItem("http.route"));
        Assert.Equal(clientSpan, http.ParentSpanId);

        var turn = Assert.Single(chain, s => s.Source.Name == HttpApiTelemetry.Name);
        Assert.Equal(TurnMeasurement.SpanName, turn.DisplayName);
        Assert.Equal("demo", turn.GetTagItem("llama.model"));
        Assert.Equal(4, turn.GetTagItem("llama.completion_tokens"));
        // The conversation grain's side of its call: where the worker is called from.
        var conversation = Assert.Single(chain, s => s.Kind == ActivityKind.Server && Target(s).StartsWith("conversation/", StringComparison.Ordinal));
        var expected = new[] { worker.SpanId, Calls(chain, "IModelWorkerGrain/Generate"), conversation.SpanId, Calls(chain, "IConversationGrain/SendStreaming"), turn.SpanId, http.SpanId };
        Assert.Equal(expected, chain.Select(s => s.SpanId).Where(expected.Contains));
        Assert.All(chain, s => Assert.Equal(traceId, s.TraceId));
    }

    private static string Target(Activity span) => span.GetTagItem("orleans.rpc.target_id") as string ?? string.Empty;

    /// <summary>The span of the client side of a grain call, as Orleans names it.</summary>
    private static ActivitySpanId Calls(IEnumerable<Activity> chain, string method) =>
        Assert.Single(chain, s => s.Kind == ActivityKind.Client && s.DisplayName == method).SpanId;
}
