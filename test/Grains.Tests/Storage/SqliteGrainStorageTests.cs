using LlamaOrleans.Grains.Storage;
using Orleans.Storage;

namespace LlamaOrleans.Tests.Storage;

public sealed class SqliteGrainStorageTests : IDisposable
{
    private const string StateName = "note";
    private static readonly GrainId Grain = GrainId.Create("note", "first");

    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private static GrainState<Note> NoteState(string text, int writes, string? eTag = null) =>
        new(new Note { Text = text, Writes = writes, History = [text] }, eTag);

    private static async Task<GrainState<Note>> ReadAsync(SqliteGrainStorage storage, string stateName = StateName, GrainId? grain = null)
    {
        var state = new GrainState<Note>();
        await storage.ReadStateAsync(stateName, grain ?? Grain, state);
        return state;
    }

    [Fact]
    public async Task Reading_a_grain_never_written_gives_a_fresh_state_without_record_or_etag()
    {
        var storage = StorageServices.Create(_database.FilePath);

        var state = await ReadAsync(storage);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.NotNull(state.State);
        Assert.Equal(string.Empty, state.State!.Text);
        Assert.Empty(state.State!.History);
    }

    [Fact]
    public async Task Initializing_creates_the_folder_the_file_and_a_WAL_database()
    {
        Assert.False(Directory.Exists(Path.GetDirectoryName(_database.FilePath)));
        var storage = StorageServices.Create(_database.FilePath);

        await storage.InitializeAsync();

        Assert.Equal(_database.FilePath, storage.FilePath);
        Assert.True(File.Exists(_database.FilePath));
        Assert.Equal("wal", _database.Scalar("PRAGMA journal_mode;"));
        Assert.Equal(0, _database.Count("SELECT COUNT(*) FROM GrainState;"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_new_folder_and_database_are_for_the_silos_user_alone()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix permissions");
        var storage = StorageServices.Create(_database.FilePath);

        await storage.WriteStateAsync(StateName, Grain, NoteState("private", 1));

        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(_database.FilePath)!));
        var files = Directory.GetFiles(Path.GetDirectoryName(_database.FilePath)!);
        Assert.Contains(_database.FilePath, files);
        Assert.Contains(_database.FilePath + "-wal", files);
        Assert.All(files, file => Assert.Equal(owner, File.GetUnixFileMode(file)));
    }

    [Fact]
    public async Task A_written_state_reads_back_with_its_etag()
    {
        var storage = StorageServices.Create(_database.FilePath);
        var written = NoteState("hello", 1);

        await storage.WriteStateAsync(StateName, Grain, written);

        Assert.True(written.RecordExists);
        Assert.False(string.IsNullOrEmpty(written.ETag));
        var read = await ReadAsync(storage);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal("hello", read.State!.Text);
        Assert.Equal(1, read.State!.Writes);
        Assert.Equal(["hello"], read.State!.History);
        Assert.Equal(1, _database.Count("SELECT COUNT(*) FROM GrainState WHERE Payload IS NOT NULL AND UpdatedUtc LIKE '____-__-__T__:__:__%Z';"));
    }

    [Fact]
    public async Task Each_write_with_the_current_etag_replaces_the_state_and_the_etag()
    {
        var storage = StorageServices.Create(_database.FilePath);
        var state = NoteState("one", 1);
        await storage.WriteStateAsync(StateName, Grain, state);
        var firstETag = state.ETag;

        state.State!.Text = "two";
        state.State!.Writes = 2;
        await storage.WriteStateAsync(StateName, Grain, state);

        Assert.NotEqual(firstETag, state.ETag);
        var read = await ReadAsync(storage);
        Assert.Equal("two", read.State!.Text);
        Assert.Equal(state.ETag, read.ETag);
        Assert.Equal(1, _database.Count("SELECT COUNT(*) FROM GrainState;"));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_and_leaves_the_stored_state()
    {
        var storage = StorageServices.Create(_database.FilePath);
        var first = NoteState("first", 1);
        await storage.WriteStateAsync(StateName, Grain, first);
        var stale = NoteState("stale", 2, first.ETag);
        first.State!.Text = "winner";
        await storage.WriteStateAsync(StateName, Grain, first);

        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain, stale));

        Assert.Equal(first.ETag, conflict.StoredEtag);
        Assert.NotEqual(first.ETag, conflict.CurrentEtag);
        Assert.Contains("write", conflict.Message, StringComparison.Ordinal);
        var read = await ReadAsync(storage);
        Assert.Equal("winner", read.State!.Text);
        Assert.Equal(first.ETag, read.ETag);
    }

    [Fact]
    public async Task A_first_write_without_etag_conflicts_when_another_writer_created_the_row()
    {
        var storage = StorageServices.Create(_database.FilePath);
        await storage.WriteStateAsync(StateName, Grain, NoteState("existing", 1));

        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, Grain, NoteState("late", 1)));

        Assert.Null(conflict.CurrentEtag);
        Assert.Equal("existing", (await ReadAsync(storage)).State!.Text);
    }

    [Fact]
    public async Task A_write_with_an_etag_conflicts_when_the_row_is_gone()
    {
        var storage = StorageServices.Create(_database.FilePath);

        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, Grain, NoteState("ghost", 1, "0123456789abcdef")));

        Assert.Null(conflict.StoredEtag);
        Assert.False((await ReadAsync(storage)).RecordExists);
    }

    [Fact]
    public async Task Of_concurrent_writers_holding_the_same_etag_exactly_one_wins()
    {
        var storage = StorageServices.Create(_database.FilePath);
        var start = NoteState("start", 0);
        await storage.WriteStateAsync(StateName, Grain, start);

        var writers = Enumerable.Range(1, 8)
            .Select(i => Task.Run(async () =>
            {
                var mine = NoteState($"writer {i}", i, start.ETag);
                try
                {
                    await storage.WriteStateAsync(StateName, Grain, mine);
                    return mine;
                }
                catch (InconsistentStateException)
                {
                    return null;
                }
            }))
            .ToArray();
        var results = await Task.WhenAll(writers);

        var winner = Assert.Single(results, r => r is not null)!;
        var read = await ReadAsync(storage);
        Assert.Equal(winner.State!.Text, read.State!.Text);
        Assert.Equal(winner.ETag, read.ETag);
    }

    [Fact]
    public async Task Clearing_with_delete_removes_the_row_and_the_etag()
    {
        var storage = StorageServices.Create(_database.FilePath, deleteStateOnClear: true);
        var state = NoteState("doomed", 1);
        await storage.WriteStateAsync(StateName, Grain, state);

        await storage.ClearStateAsync(StateName, Grain, state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(string.Empty, state.State!.Text);
        Assert.Equal(0, _database.Count("SELECT COUNT(*) FROM GrainState;"));
        var read = await ReadAsync(storage);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);

        // Written again from scratch, as a new grain would.
        state.State!.Text = "reborn";
        await storage.WriteStateAsync(StateName, Grain, state);
        Assert.Equal("reborn", (await ReadAsync(storage)).State!.Text);
    }

    [Fact]
    public async Task Clearing_without_delete_keeps_an_empty_row_with_a_new_etag()
    {
        var storage = StorageServices.Create(_database.FilePath, deleteStateOnClear: false);
        var state = NoteState("emptied", 1);
        await storage.WriteStateAsync(StateName, Grain, state);
        var beforeClear = state.ETag;

        await storage.ClearStateAsync(StateName, Grain, state);

        Assert.False(state.RecordExists);
        Assert.NotNull(state.ETag);
        Assert.NotEqual(beforeClear, state.ETag);
        Assert.Equal(1, _database.Count("SELECT COUNT(*) FROM GrainState WHERE Payload IS NULL;"));
        var read = await ReadAsync(storage);
        Assert.False(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
        Assert.Equal(string.Empty, read.State!.Text);

        // A writer still holding the pre-clear ETag is stale; the one that cleared goes on.
        await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, Grain, NoteState("stale", 2, beforeClear)));
        state.State!.Text = "refilled";
        await storage.WriteStateAsync(StateName, Grain, state);
        Assert.Equal("refilled", (await ReadAsync(storage)).State!.Text);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Clearing_with_a_stale_etag_throws_and_keeps_the_state(bool deleteStateOnClear)
    {
        var storage = StorageServices.Create(_database.FilePath, deleteStateOnClear);
        var current = NoteState("kept", 1);
        await storage.WriteStateAsync(StateName, Grain, current);
        var stale = NoteState("kept", 1, current.ETag);
        await storage.WriteStateAsync(StateName, Grain, current);

        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, Grain, stale));

        Assert.Contains("clear", conflict.Message, StringComparison.Ordinal);
        Assert.Equal(current.ETag, conflict.StoredEtag);
        var read = await ReadAsync(storage);
        Assert.True(read.RecordExists);
        Assert.Equal(current.ETag, read.ETag);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Clearing_without_etag_conflicts_when_a_row_exists(bool deleteStateOnClear)
    {
        var storage = StorageServices.Create(_database.FilePath, deleteStateOnClear);
        await storage.WriteStateAsync(StateName, Grain, NoteState("there", 1));

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, Grain, new GrainState<Note>()));

        Assert.True((await ReadAsync(storage)).RecordExists);
    }

    [Fact]
    public async Task Clearing_a_grain_never_written_succeeds()
    {
        var storage = StorageServices.Create(_database.FilePath, deleteStateOnClear: true);
        var state = new GrainState<Note>();

        await storage.ClearStateAsync(StateName, Grain, state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(0, _database.Count("SELECT COUNT(*) FROM GrainState;"));
    }

    [Fact]
    public async Task State_names_grains_and_services_are_kept_apart()
    {
        var storage = StorageServices.Create(_database.FilePath);
        var otherService = StorageServices.Create(_database.FilePath, serviceId: "other-service");
        var otherGrain = GrainId.Create("note", "second");
        await storage.WriteStateAsync(StateName, Grain, NoteState("a", 1));
        await storage.WriteStateAsync("draft", Grain, NoteState("b", 1));
        await storage.WriteStateAsync(StateName, otherGrain, NoteState("c", 1));
        await otherService.WriteStateAsync(StateName, Grain, NoteState("d", 1));

        Assert.Equal("a", (await ReadAsync(storage)).State!.Text);
        Assert.Equal("b", (await ReadAsync(storage, "draft")).State!.Text);
        Assert.Equal("c", (await ReadAsync(storage, grain: otherGrain)).State!.Text);
        Assert.Equal("d", (await ReadAsync(otherService)).State!.Text);
        Assert.False((await ReadAsync(otherService, "draft")).RecordExists);
        Assert.Equal(4, _database.Count("SELECT COUNT(*) FROM GrainState;"));
    }

    [Fact]
    public async Task Two_providers_on_one_file_see_each_others_writes_and_conflicts()
    {
        var first = StorageServices.Create(_database.FilePath);
        var second = StorageServices.Create(_database.FilePath);
        var mine = NoteState("from first", 1);
        await first.WriteStateAsync(StateName, Grain, mine);

        var theirs = await ReadAsync(second);
        Assert.Equal("from first", theirs.State!.Text);
        theirs.State!.Text = "from second";
        await second.WriteStateAsync(StateName, Grain, theirs);

        Assert.Equal("from second", (await ReadAsync(first)).State!.Text);
        await Assert.ThrowsAsync<InconsistentStateException>(() => first.WriteStateAsync(StateName, Grain, mine));
    }

    [Fact]
    public async Task Two_providers_writing_at_once_wait_for_each_other_instead_of_failing()
    {
        var first = StorageServices.Create(_database.FilePath);
        var second = StorageServices.Create(_database.FilePath);

        async Task WriteMany(SqliteGrainStorage storage, string prefix)
        {
            for (var i = 0; i < 40; i++)
            {
                var grain = GrainId.Create("note", $"{prefix}-{i}");
                var state = NoteState($"{prefix} {i}", 1);
                await storage.WriteStateAsync(StateName, grain, state);
                state.State!.Writes = 2;
                await storage.WriteStateAsync(StateName, grain, state);
            }
        }

        await Task.WhenAll(Task.Run(() => WriteMany(first, "a")), Task.Run(() => WriteMany(second, "b")));

        Assert.Equal(80, _database.Count("SELECT COUNT(*) FROM GrainState;"));
        Assert.Equal(2, (await ReadAsync(first, grain: GrainId.Create("note", "b-39"))).State!.Writes);
        Assert.Equal(2, (await ReadAsync(second, grain: GrainId.Create("note", "a-39"))).State!.Writes);
    }

    [Fact]
    public async Task State_survives_closing_and_reopening_the_file()
    {
        var written = NoteState("durable", 3);
        await StorageServices.Create(_database.FilePath).WriteStateAsync(StateName, Grain, written);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var reopened = StorageServices.Create(_database.FilePath);
        var read = await ReadAsync(reopened);

        Assert.True(read.RecordExists);
        Assert.Equal("durable", read.State!.Text);
        Assert.Equal(3, read.State!.Writes);
        Assert.Equal(written.ETag, read.ETag);
    }

    [Fact]
    public async Task A_path_that_cannot_be_created_fails_with_a_message_naming_it()
    {
        var blocker = Path.Combine(_database.Folder, "not-a-folder");
        await File.WriteAllTextAsync(blocker, "a file where a folder should be", TestContext.Current.CancellationToken);
        var path = Path.Combine(blocker, "grains.db");
        var storage = StorageServices.Create(path);

        var error = await Assert.ThrowsAsync<SqliteGrainStorageException>(() => storage.InitializeAsync());

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        var readError = await Assert.ThrowsAsync<SqliteGrainStorageException>(() => ReadAsync(storage));
        Assert.Contains(path, readError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_fails_with_a_message_naming_it()
    {
        var path = Path.Combine(_database.Folder, "garbage.db");
        await File.WriteAllBytesAsync(path, Enumerable.Repeat((byte)0x5A, 8192).ToArray(), TestContext.Current.CancellationToken);
        var storage = StorageServices.Create(path);

        var error = await Assert.ThrowsAsync<SqliteGrainStorageException>(() => storage.InitializeAsync());

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.IsType<Microsoft.Data.Sqlite.SqliteException>(error.InnerException);
    }

    [Fact]
    public void An_empty_data_source_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => StorageServices.Create(" "));

        Assert.Contains(nameof(SqliteGrainStorageOptions.DataSource), error.Message, StringComparison.Ordinal);
    }
}
