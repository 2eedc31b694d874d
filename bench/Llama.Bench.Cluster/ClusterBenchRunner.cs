using System.Diagnostics;

namespace Llama.Bench.Cluster;

/// <summary>
/// Runs every conversation's turns concurrently, each turn streamed and, on a retryable error, sent again with the
/// same message id; then checks each stored transcript for lost and duplicated turns.
/// </summary>
internal sealed class ClusterBenchRunner(ClusterBenchOptions options)
{
    private static readonly string[] Prompts =
    [
        "Tell me about a cat.", "What did the cat find?", "Where did it go next?", "Who did it meet?", "What happened then?",
    ];

    public async Task<ScenarioResult> RunAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        await using var cluster = await BenchCluster.StartAsync(options.Silos, options.SiloSettings);
        await using IChatTransport transport = options.Transport == Transport.Http
            ? new HttpTransport(cluster.HttpAddresses)
            : await OrleansTransport.ConnectAsync(cluster.Id, cluster.Id, cluster.Gateways);
        var settings = new ConversationSettingsRequest("demo", "You tell short stories.", 0, options.ReplyTokens);
        var ids = await Task.WhenAll(Enumerable.Range(0, options.Conversations).Select(_ => transport.CreateAsync(settings, cancellationToken)));

        var records = new List<TurnRecord>();
        var retryable = 0;
        var other = 0;
        var failed = 0;
        var completed = 0;
        var total = options.Conversations * options.Turns;
        var killAt = scenario == Scenario.Kill ? total / 3 : int.MaxValue;
        var killed = 0;
        var clock = Stopwatch.StartNew();

        async Task Converse(string id)
        {
            for (var turn = 0; turn < options.Turns; turn++)
            {
                var (record, errors, retried) = await Turn(transport, id, $"m{turn}", Prompts[turn % Prompts.Length], cancellationToken);
                lock (records)
                {
                    retryable += retried;
                    other += errors;
                    if (record is null)
                    {
                        failed++;
                    }
                    else
                    {
                        records.Add(record);
                    }
                }

                if (Interlocked.Increment(ref completed) >= killAt && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    Console.WriteLine($"[bench] killing the last silo after {completed} of {total} turns");
                    cluster.KillLast();
                }
            }
        }

        await Task.WhenAll(ids.Select(id => Task.Run(() => Converse(id), cancellationToken)));
        var elapsed = clock.Elapsed;

        var lost = 0;
        var duplicated = 0;
        foreach (var id in ids)
        {
            var history = await transport.HistoryAsync(id, cancellationToken);
            var expected = Enumerable.Range(0, options.Turns).SelectMany(t => new[] { $"m{t}", $"m{t}" }).ToArray();
            lost += expected.Except(history).Count();
            duplicated += history.GroupBy(m => m).Sum(g => Math.Max(0, g.Count() - 2));
        }

        return new ScenarioResult(scenario, records, retryable, other, failed, lost, duplicated, elapsed);
    }

    /// <summary>One turn, retried with the same message id while errors are retryable (at most 2 minutes).</summary>
    private static async Task<(TurnRecord? Record, int OtherErrors, int Retries)> Turn(
        IChatTransport transport, string id, string messageId, string content, CancellationToken cancellationToken)
    {
        var retries = 0;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var clock = Stopwatch.StartNew();
            TimeSpan? first = null;
            try
            {
                await foreach (var piece in transport.SendAsync(id, messageId, content, cancellationToken))
                {
                    if (first is null && piece.Text.Length > 0)
                    {
                        first = clock.Elapsed;
                    }

                    if (piece.Completed)
                    {
                        return (new TurnRecord(first ?? clock.Elapsed, clock.Elapsed, piece.CompletionTokens, retries), 0, retries);
                    }
                }

                return (null, 1, retries);
            }
            catch (Exception ex) when (transport.IsRetryable(ex) && deadline.Elapsed < TimeSpan.FromMinutes(2))
            {
                retries++;
                await Task.Delay(transport.RetryDelay(ex), cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"[bench] {id} {messageId}: {ex.GetType().Name}: {ex.Message}");
                return (null, 1, retries);
            }
        }
    }
}
