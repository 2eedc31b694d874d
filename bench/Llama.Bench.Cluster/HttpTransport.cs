using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Llama.Bench.Cluster;

/// <summary>
/// The cluster through its HTTP API's conversations (docs/http.md), as an HTTP client of a load balancer would see it:
/// conversations are spread over the silos' base addresses, and after a retryable failure a conversation moves on to
/// the next silo, where the runner sends the same <c>X-Message-Id</c> again.
/// </summary>
internal sealed class HttpTransport : IChatTransport
{
    private const string MessageIdHeader = "X-Message-Id";

    private readonly HttpClient _client;
    private readonly IReadOnlyList<Uri> _silos;
    private readonly ConcurrentDictionary<string, int> _siloOf = new();
    private int _created;

    /// <param name="silos">The silos' HTTP base addresses.</param>
    public HttpTransport(IReadOnlyList<Uri> silos)
    {
        ArgumentNullException.ThrowIfNull(silos);
        if (silos.Count == 0)
        {
            throw new ArgumentException("At least one silo address is needed.", nameof(silos));
        }

        _silos = silos;
        // A dead silo's port refuses connections at once on loopback; the connect timeout covers a host that is gone.
        _client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromMinutes(2) };
    }

    public string Name => "http";

    public async Task<string> CreateAsync(ConversationSettingsRequest settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var silo = (Interlocked.Increment(ref _created) - 1) % _silos.Count;
        var body = new JsonObject
        {
            ["model"] = settings.Model,
            ["system_prompt"] = settings.SystemPrompt,
            ["temperature"] = settings.Temperature,
            ["max_tokens"] = settings.MaxReplyTokens,
        };
        using var response = await _client.PostAsJsonAsync(new Uri(_silos[silo], "v1/conversations"), body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await HttpFailures.FromResponseAsync(response, cancellationToken);
        }

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var id = json.RootElement.GetProperty("id").GetString() ?? throw new HttpTurnException("The created conversation has no id.", null, retryable: false);
        _siloOf[id] = silo;
        return id;
    }

    public async IAsyncEnumerable<ReplyPiece> SendAsync(string conversationId, string messageId, string content, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var silo = SiloOf(conversationId);
        await using var pieces = StreamAsync(_silos[silo], conversationId, messageId, content, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await pieces.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (Exception e) when (HttpFailures.IsRetryable(e))
            {
                // The next try goes to the next silo, as a load balancer would send it elsewhere.
                _siloOf.TryUpdate(conversationId, (silo + 1) % _silos.Count, silo);
                throw;
            }

            yield return pieces.Current;
        }
    }

    public async Task<IReadOnlyList<string?>> HistoryAsync(string conversationId, CancellationToken cancellationToken)
    {
        var first = SiloOf(conversationId);
        for (var attempt = 0; ; attempt++)
        {
            var silo = (first + attempt) % _silos.Count;
            try
            {
                using var response = await _client.GetAsync(new Uri(_silos[silo], $"v1/conversations/{Uri.EscapeDataString(conversationId)}/messages"), cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw await HttpFailures.FromResponseAsync(response, cancellationToken);
                }

                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                return [.. json.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("message_id").GetString())];
            }
            catch (Exception e) when (HttpFailures.IsRetryable(e) && attempt < 2 * _silos.Count)
            {
                await Task.Delay(RetryDelay(e), cancellationToken);
            }
        }
    }

    public bool IsRetryable(Exception error) => HttpFailures.IsRetryable(error);

    /// <summary>The server's <c>Retry-After</c> (at most 10 s) when it sent one, else half a second.</summary>
    public TimeSpan RetryDelay(Exception error) => error is HttpTurnException { RetryAfter: { } after }
        ? TimeSpan.FromTicks(Math.Clamp(after.Ticks, 0, TimeSpan.FromSeconds(10).Ticks))
        : TimeSpan.FromMilliseconds(500);

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private int SiloOf(string conversationId) => _siloOf.GetOrAdd(conversationId, id => (id.GetHashCode(StringComparison.Ordinal) & int.MaxValue) % _silos.Count);

    /// <summary>One streamed turn on one silo; a stream that ends before the closing <c>conversation.turn</c> is a retryable failure.</summary>
    private async IAsyncEnumerable<ReplyPiece> StreamAsync(Uri silo, string conversationId, string messageId, string content, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(silo, $"v1/conversations/{Uri.EscapeDataString(conversationId)}/messages"))
        {
            Content = JsonContent.Create(new JsonObject { ["content"] = content, ["stream"] = true }),
        };
        request.Headers.Add(MessageIdHeader, messageId);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await HttpFailures.FromResponseAsync(response, cancellationToken);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var piece in TurnEvents.ReadAsync(body, cancellationToken))
        {
            yield return piece;
        }
    }
}
