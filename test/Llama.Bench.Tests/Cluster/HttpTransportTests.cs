using System.Net;
using Llama.Bench.Cluster;

namespace Llama.Bench.Tests.Cluster;

/// <summary>The bench's HTTP transport against a real <c>llama-orleans-silo</c> process serving its HTTP API.</summary>
public sealed class HttpTransportTests
{
    [Fact]
    public async Task A_turn_streams_its_reply_and_resending_its_message_id_replays_it_without_a_second_turn()
    {
        var token = TestContext.Current.CancellationToken;
        await using var cluster = await BenchCluster.StartAsync(1, new Dictionary<string, string>());
        // The first address has nothing listening, as a killed silo's port.
        await using var transport = new HttpTransport([new Uri($"http://127.0.0.1:{FreePorts.Unused()}/"), cluster.HttpAddresses[0]]);
        var settings = new ConversationSettingsRequest("demo", "You tell short stories.", 0, 8);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => transport.CreateAsync(settings, token));
        Assert.True(transport.IsRetryable(refused));
        var id = await transport.CreateAsync(settings, token);
        var first = await Turn(transport, id, "m0", "Tell me about a cat.");
        var again = await Turn(transport, id, "m0", "Tell me about a cat.");
        var history = await transport.HistoryAsync(id, token);

        Assert.StartsWith("conv_", id, StringComparison.Ordinal);
        Assert.True(first[^1].Completed);
        Assert.InRange(first[^1].CompletionTokens, 1, 8);
        Assert.Equal(string.Concat(first.Select(p => p.Text)), string.Concat(again.Select(p => p.Text)));
        Assert.Equal(["m0", "m0"], history);

        await using var live = new HttpTransport([cluster.HttpAddresses[0]]);
        var missing = await Assert.ThrowsAsync<HttpTurnException>(() => Turn(live, "conv_missing", "m0", "Hello"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.False(live.IsRetryable(missing));
    }

    private static async Task<List<ReplyPiece>> Turn(HttpTransport transport, string id, string messageId, string content)
    {
        var pieces = new List<ReplyPiece>();
        await foreach (var piece in transport.SendAsync(id, messageId, content, TestContext.Current.CancellationToken))
        {
            pieces.Add(piece);
        }

        return pieces;
    }
}
