using System.Runtime.CompilerServices;
using LlamaOrleans;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace Llama.Bench.Cluster;

/// <summary>The cluster through the Orleans client SDK, connected to every silo's gateway.</summary>
internal sealed class OrleansTransport : IChatTransport
{
    private readonly IHost _host;

    private OrleansTransport(IHost host) => _host = host;

    public string Name => "orleans-client";

    private IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<OrleansTransport> ConnectAsync(string clusterId, string serviceId, IEnumerable<string> gateways)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A request caught in a killed silo is given up after 15 s rather than Orleans' 30 s, and sent again.
        builder.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
        builder.Services.AddLlamaOrleansClient(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = serviceId;
            o.Gateways = [.. gateways];
        });
        var host = builder.Build();
        await host.StartAsync();
        return new OrleansTransport(host);
    }

    public async Task<string> CreateAsync(ConversationSettingsRequest settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var conversationId = $"bench-{Guid.NewGuid():N}";
        await Client.GetGrain<IConversationGrain>(conversationId).Configure(new ConversationSettings
        {
            Model = settings.Model,
            SystemPrompt = settings.SystemPrompt,
            Temperature = settings.Temperature,
            MaxReplyTokens = settings.MaxReplyTokens,
        });
        return conversationId;
    }

    public async IAsyncEnumerable<ReplyPiece> SendAsync(string conversationId, string messageId, string content, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var conversation = Client.GetGrain<IConversationGrain>(conversationId);
        await foreach (var delta in conversation.SendStreaming(new UserMessage(messageId, content), cancellationToken))
        {
            yield return new ReplyPiece(delta.Text, delta.Completed is not null, delta.Completed?.CompletionTokens ?? 0);
        }
    }

    public async Task<IReadOnlyList<string?>> HistoryAsync(string conversationId, CancellationToken cancellationToken) =>
        [.. (await Client.GetGrain<IConversationGrain>(conversationId).GetHistory()).Select(e => e.MessageId)];

    public bool IsRetryable(Exception error) => error switch
    {
        ConversationException c => c.Code is ConversationErrorCode.Unavailable or ConversationErrorCode.Busy,
        SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or TimeoutException or EnumerationAbortedException => true,
        OrleansException { InnerException: { } inner } => IsRetryable(inner),
        _ => false,
    };

    public TimeSpan RetryDelay(Exception error) => TimeSpan.FromMilliseconds(500);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
