using Orleans.Runtime.Placement;
using Orleans.TestingHost;

namespace LlamaOrleans.Tests.Storage;

/// <summary>The SQLite provider behind [PersistentState] in a real two-silo cluster.</summary>
public sealed class SqliteStorageClusterTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly string _serviceId = $"llama-test-{Guid.NewGuid():N}";

    public void Dispose() => _database.Dispose();

    private Task<TestCluster> StartClusterAsync() => TestClusters.StartAsync(2, builder =>
    {
        builder.Options.ServiceId = _serviceId;
        builder.Options.ConfigureFileLogging = false;
        builder.Properties[SqliteStorageSiloConfigurator.DataSourceKey] = _database.FilePath;
        builder.AddSiloBuilderConfigurator<SqliteStorageSiloConfigurator>();
    });

    /// <summary>Calls <paramref name="call"/> with a placement hint, so a new activation goes to <paramref name="silo"/>.</summary>
    private static async Task<T> OnSilo<T>(SiloHandle silo, Func<Task<T>> call)
    {
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo.SiloAddress);
        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    [Fact]
    public async Task State_written_by_one_activation_is_read_by_the_next()
    {
        await using var cluster = await StartClusterAsync();
        var note = cluster.Client.GetGrain<INoteGrain>("reactivated");
        await note.Write("hello");
        await note.Write("world");
        var before = await note.Read();

        await cluster.DeactivateAsync(note);
        var after = await note.Read();

        Assert.NotEqual(before.Activation, after.Activation);
        Assert.True(after.RecordExists);
        Assert.Equal("world", after.Note.Text);
        Assert.Equal(2, after.Note.Writes);
        Assert.Equal(["hello", "world"], after.Note.History);
        Assert.Equal(1, _database.Count(
            $"SELECT COUNT(*) FROM GrainState WHERE ServiceId = '{_serviceId}' AND StateName = 'note' AND GrainId LIKE '%reactivated';"));
    }

    [Fact]
    public async Task State_written_on_a_silo_that_stops_is_read_on_the_other()
    {
        await using var cluster = await StartClusterAsync();
        var first = cluster.Primary!;
        var second = cluster.SecondarySilos[0];
        var note = cluster.Client.GetGrain<INoteGrain>("cross-silo");
        var writer = await OnSilo(second, () => note.Write("written on the second silo"));

        await cluster.StopSiloAsync(second);
        var after = await note.Read();

        Assert.Equal(second.SiloAddress, writer);
        Assert.Equal(first.SiloAddress, after.Silo);
        Assert.True(after.RecordExists);
        Assert.Equal("written on the second silo", after.Note.Text);
    }

    [Fact]
    public async Task Cleared_state_reads_empty_after_deactivation()
    {
        await using var cluster = await StartClusterAsync();
        var note = cluster.Client.GetGrain<INoteGrain>("cleared");
        await note.Write("temporary");

        await note.Clear();
        await cluster.DeactivateAsync(note);
        var after = await note.Read();

        Assert.False(after.RecordExists);
        Assert.Equal(string.Empty, after.Note.Text);
        Assert.Equal(0, after.Note.Writes);
    }

    [Fact]
    public async Task State_outlives_the_whole_cluster()
    {
        await using (var cluster = await StartClusterAsync())
        {
            await cluster.Client.GetGrain<INoteGrain>("durable").Write("before restart");
            await cluster.StopAllSilosAsync();
        }

        await using var restarted = await StartClusterAsync();
        var note = restarted.Client.GetGrain<INoteGrain>("durable");
        var reading = await note.Read();
        await note.Write("after restart");

        Assert.True(reading.RecordExists);
        Assert.Equal("before restart", reading.Note.Text);
        Assert.Equal(1, reading.Note.Writes);
        Assert.Equal(2, (await note.Read()).Note.Writes);
    }
}
