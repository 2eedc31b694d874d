using System.Text;
using Llama.Bench.Cluster;

namespace Llama.Bench.Tests.Cluster;

/// <summary>The streamed turn as the silo frames it (docs/http.md): deltas, the closing turn, [DONE]; and how a stream fails.</summary>
public sealed class TurnEventsTests
{
    private const string Delta = """{"id":"m0","conversation_id":"conv_1","delta":"%","object":"conversation.turn.delta"}""";
    private const string Closing = """{"id":"m0","conversation_id":"conv_1","reply":"","finish_reason":"length","usage":{"prompt_tokens":20,"completion_tokens":3,"total_tokens":23},"cached_prompt_tokens":0,"cache_hit":false,"replayed":false,"object":"conversation.turn"}""";

    [Fact]
    public async Task A_whole_stream_gives_its_pieces_and_the_completed_turn_with_its_tokens()
    {
        var pieces = await Read(Event(Delta.Replace("%", "Once", StringComparison.Ordinal)) + Event(Delta.Replace("%", " upon\\n", StringComparison.Ordinal)) +
            Event(Closing) + "data: [DONE]\n\n");

        Assert.Equal(["Once", " upon\n", string.Empty], pieces.Select(p => p.Text));
        Assert.Equal([false, false, true], pieces.Select(p => p.Completed));
        Assert.Equal(3, pieces[^1].CompletionTokens);
    }

    [Fact]
    public async Task Events_split_over_data_lines_comments_and_crlf_are_read_as_the_sse_standard_says()
    {
        var closing = Closing.Replace(",\"usage\"", ",\r\ndata: \"usage\"", StringComparison.Ordinal);
        var pieces = await Read(": keep-alive\r\n\r\n" + "event: message\r\ndata:" + Delta.Replace("%", "a", StringComparison.Ordinal) + "\r\n\r\ndata: " + closing + "\r\n\r\n");

        Assert.Equal(["a", string.Empty], pieces.Select(p => p.Text));
        Assert.True(pieces[^1].Completed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("data: [DONE]\n\n")]
    // The closing event without the blank line that ends it: the connection was cut mid-event.
    [InlineData("data: " + Closing)]
    public async Task A_stream_that_ends_before_the_closing_turn_is_a_retryable_failure(string tail)
    {
        var error = await Assert.ThrowsAsync<HttpTurnException>(() => Read(Event(Delta.Replace("%", "x", StringComparison.Ordinal)) + tail));

        Assert.True(error.Retryable);
        Assert.True(HttpFailures.IsRetryable(error));
    }

    [Theory]
    [InlineData("server_error", "unavailable", true)]
    [InlineData("server_error", "server_shutting_down", true)]
    [InlineData("rate_limit_exceeded", "server_busy", true)]
    [InlineData("insufficient_quota", "insufficient_quota", false)]
    [InlineData("invalid_request_error", "context_length_exceeded", false)]
    public async Task An_error_event_is_retryable_only_for_the_servers_errors_and_limits(string type, string code, bool retryable)
    {
        var error = await Assert.ThrowsAsync<HttpTurnException>(() => Read(
            Event($$$"""{"error":{"message":"no","type":"{{{type}}}","param":null,"code":"{{{code}}}"}}""") + "data: [DONE]\n\n"));

        Assert.Equal(retryable, HttpFailures.IsRetryable(error));
        Assert.Contains(code, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"object":"chat.completion.chunk"}""")]
    public async Task An_event_that_is_not_a_turns_is_a_failure_that_is_not_retried(string data)
    {
        var error = await Assert.ThrowsAsync<HttpTurnException>(() => Read(Event(data)));

        Assert.False(error.Retryable);
    }

    private static string Event(string data) => $"data: {data}\n\n";

    private static async Task<List<ReplyPiece>> Read(string sse)
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes(sse));
        var pieces = new List<ReplyPiece>();
        await foreach (var piece in TurnEvents.ReadAsync(body, TestContext.Current.CancellationToken))
        {
            pieces.Add(piece);
        }

        return pieces;
    }
}
