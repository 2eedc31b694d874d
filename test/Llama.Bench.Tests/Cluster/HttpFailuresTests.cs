using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Llama.Bench.Cluster;

namespace Llama.Bench.Tests.Cluster;

/// <summary>Which failures of the HTTP API the bench sends again: 5xx, 429 and connection failures; never another 4xx.</summary>
public sealed class HttpFailuresTests
{
    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.BadGateway, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Unauthorized, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, false)]
    public async Task Error_responses_are_retryable_only_for_5xx_and_429(HttpStatusCode status, bool retryable)
    {
        using var response = new HttpResponseMessage(status)
        {
            Content = new StringContent("""{"error":{"message":"said the server","type":"t","param":null,"code":"c"}}""", Encoding.UTF8, "application/json"),
        };

        var error = await HttpFailures.FromResponseAsync(response, TestContext.Current.CancellationToken);

        Assert.Equal(retryable, HttpFailures.IsRetryable(error));
        Assert.Equal(status, error.Status);
        Assert.Contains("said the server", error.Message, StringComparison.Ordinal);
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public async Task Retry_after_is_read_from_a_429_and_bounds_the_wait()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Content = new StringContent("busy") };
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(3));
        await using var transport = new HttpTransport([new Uri("http://127.0.0.1:1/")]);

        var error = await HttpFailures.FromResponseAsync(response, TestContext.Current.CancellationToken);

        Assert.True(error.Retryable);
        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(3), transport.RetryDelay(error));
        Assert.Equal(TimeSpan.FromSeconds(10), transport.RetryDelay(new HttpTurnException("x", HttpStatusCode.TooManyRequests, true, TimeSpan.FromHours(1))));
        Assert.Equal(TimeSpan.FromMilliseconds(500), transport.RetryDelay(new HttpRequestException("refused")));
    }

    [Fact]
    public async Task A_refused_connection_is_retryable()
    {
        var port = FreePorts.Unused();
        using var client = new HttpClient();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri($"http://127.0.0.1:{port}/"), TestContext.Current.CancellationToken));

        Assert.True(HttpFailures.IsRetryable(error));
    }

    [Fact]
    public async Task A_connection_closed_in_the_middle_of_the_body_is_retryable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            // Promises 1000 bytes, sends a few, then the process "dies": the kernel resets the connection.
            await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 1000\r\n\r\ndata: {"u8.ToArray(), TestContext.Current.CancellationToken);
            socket.LingerState = new LingerOption(true, 0);
        }, TestContext.Current.CancellationToken);
        using var client = new HttpClient();

        using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        await server;
        var error = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await using var body = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
            await foreach (var _ in TurnEvents.ReadAsync(body, TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.True(HttpFailures.IsRetryable(error));
    }

    [Fact]
    public void Other_exceptions_and_the_callers_cancellation_are_not_retryable()
    {
        Assert.False(HttpFailures.IsRetryable(new InvalidOperationException("bug")));
        Assert.False(HttpFailures.IsRetryable(new TaskCanceledException("cancelled by the caller")));
        Assert.True(HttpFailures.IsRetryable(new TaskCanceledException("HttpClient.Timeout", new TimeoutException())));
        Assert.False(HttpFailures.IsRetryable(new HttpRequestException("404", null, HttpStatusCode.NotFound)));
        Assert.True(HttpFailures.IsRetryable(new HttpRequestException("503", null, HttpStatusCode.ServiceUnavailable)));
    }

    [Fact]
    public void A_transport_needs_a_silo()
    {
        Assert.Throws<ArgumentException>(() => new HttpTransport([]));
    }
}
