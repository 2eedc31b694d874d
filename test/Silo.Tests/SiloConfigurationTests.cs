using System.Net;
using LlamaOrleans.Grains;
using LlamaOrleans.Grains.Storage;
using LlamaOrleans.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace LlamaOrleans.Tests.Silo;

/// <summary>What the silo host makes of its configuration, read from the built (not started) host's real services.</summary>
public sealed class SiloConfigurationTests
{
    private static IHost Build(params string[] args) => LlamaSiloHost.CreateBuilder(args).Build();

    private static string Shipped(string relative) => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, relative));

    [Fact]
    public void With_no_configuration_the_silo_is_a_localhost_cluster_with_the_demo_model_and_a_SQLite_file()
    {
        using var host = Build();

        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(11111, endpoints.SiloPort);
        Assert.Equal(30000, endpoints.GatewayPort);
        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal("dev", cluster.ClusterId);
        Assert.Equal("llama-orleans", cluster.ServiceId);

        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Conversations);
        var sqlite = Assert.IsType<SqliteGrainStorage>(storage);
        Assert.Equal(Path.GetFullPath("data/conversations.db"), sqlite.FilePath);
        Assert.False(host.Services.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(StorageNames.Conversations).DeleteStateOnClear);

        var model = Assert.Single(host.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value.Models);
        Assert.Equal("demo", model.Name);
        Assert.Equal(512, model.MaxSeqLen);
        Assert.True(model.Host);
        Assert.Equal(Shipped("models/stories260K.bin"), model.Path);
        Assert.Equal(Shipped("models/tok512.bin"), model.Tokenizer);
        Assert.True(File.Exists(model.Path));
        Assert.True(File.Exists(model.Tokenizer));
    }

    [Theory]
    [InlineData("llama-orleans-silo.runtimeconfig.json")]
    [InlineData("Silo.Tests.runtimeconfig.json")]
    public void A_decode_steps_logits_arrays_are_not_large_objects(string runtimeConfig)
    {
        // One array per sequence per step (128 KB for a 32,000-token vocabulary): as large objects, their churn costs
        // a 32-stream step milliseconds (see Directory.Build.props).
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Shipped(runtimeConfig)));
        var threshold = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.GC.LOHThreshold").GetInt64();
        Assert.True(threshold > 32_000 * sizeof(float), $"LOHThreshold {threshold}");
        // This test host is built with the same setting: the runtime really takes such an array as a gen0 object.
        Assert.Equal(0, GC.GetGeneration(new float[32_000]));
    }

    [Fact]
    public void Command_line_arguments_override_the_shipped_settings()
    {
        var database = Path.Combine(Path.GetTempPath(), "elsewhere", "state.db");

        using var host = Build(
            "--Orleans:ClusterId=blue",
            "--Orleans:ServiceId=chat",
            "--Orleans:SiloPort=12001",
            "--Orleans:GatewayPort=12002",
            "--Orleans:PrimarySiloPort=12000",
            "--Storage:Provider=sqlite",
            $"--Storage:DataSource={database}",
            "--Storage:DeleteStateOnClear=true",
            "--Llama:Models:0:MaxSeqLen=256",
            "--Llama:Models:0:Host=false",
            "--Llama:Models:0:Path=/models/llama-2-7b-chat");

        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(12001, endpoints.SiloPort);
        Assert.Equal(12002, endpoints.GatewayPort);
        var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal("blue", cluster.ClusterId);
        Assert.Equal("chat", cluster.ServiceId);
        var primary = host.Services.GetRequiredService<IOptions<DevelopmentClusterMembershipOptions>>().Value.PrimarySiloEndpoint;
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 12000), primary);

        var storage = host.Services.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(StorageNames.Conversations);
        Assert.Equal(database, storage.DataSource);
        Assert.True(storage.DeleteStateOnClear);

        var model = Assert.Single(host.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value.Models);
        Assert.Equal("demo", model.Name);
        Assert.Equal(256, model.MaxSeqLen);
        Assert.False(model.Host);
        Assert.Equal("/models/llama-2-7b-chat", model.Path);
        Assert.Equal(Shipped("models/tok512.bin"), model.Tokenizer);
    }

    [Fact]
    public void Prefixed_environment_variables_are_read_and_the_command_line_wins_over_them()
    {
        // Keys no other test reads, since the environment is the whole test process's.
        Environment.SetEnvironmentVariable("LLAMA_SiloTest__FromEnvironment", "env");
        Environment.SetEnvironmentVariable("LLAMA_SiloTest__Both", "env");
        try
        {
            var builder = LlamaSiloHost.CreateBuilder(["--SiloTest:Both=command line"]);

            Assert.Equal("env", builder.Configuration["SiloTest:FromEnvironment"]);
            Assert.Equal("command line", builder.Configuration["SiloTest:Both"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("LLAMA_SiloTest__FromEnvironment", null);
            Environment.SetEnvironmentVariable("LLAMA_SiloTest__Both", null);
        }
    }

    [Fact]
    public void Configuration_added_by_the_caller_wins_over_the_command_line()
    {
        var builder = LlamaSiloHost.CreateBuilder(
            ["--Orleans:SiloPort=12001"],
            configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orleans:SiloPort"] = "12011" }));
        using var host = builder.Build();

        Assert.Equal(12011, host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.SiloPort);
        Assert.Equal(12011, host.Services.GetRequiredService<IOptions<SiloOrleansOptions>>().Value.SiloPort);
    }

    [Theory]
    [InlineData("--Orleans:ClusteringMode=Consul", "Orleans:ClusteringMode 'Consul' is not known; supported: Localhost, Redis, PostgreSql.")]
    [InlineData("--Storage:Provider=Cosmos", "Storage:Provider 'Cosmos' is not known; supported: Sqlite, Redis, PostgreSql.")]
    [InlineData("--Orleans:SiloPort=0", "Orleans:SiloPort is 0; a port is between 1 and 65535.")]
    [InlineData("--Orleans:GatewayPort=11111", "Orleans:SiloPort and GatewayPort are both 11111; they must differ.")]
    [InlineData("--Orleans:ServiceId= ", "Orleans:ServiceId is empty.")]
    [InlineData("--Storage:DataSource=", "Storage:DataSource is empty.")]
    [InlineData("--Orleans:ClusteringMode=Redis", "ConnectionStrings:Redis is not set, but Orleans:ClusteringMode Redis needs it (e.g. environment variable LLAMA_ConnectionStrings__Redis).")]
    [InlineData("--Storage:Provider=PostgreSql", "ConnectionStrings:PostgreSql is not set, but Storage:Provider PostgreSql needs it (e.g. environment variable LLAMA_ConnectionStrings__PostgreSql).")]
    [InlineData("--Orleans:AdvertisedIPAddress=silo-0", "Orleans:AdvertisedIPAddress 'silo-0' is not an IP address.")]
    [InlineData("--Orleans:ShutdownTimeout=00:00:00", "Orleans:ShutdownTimeout is 00:00:00; it must be positive (e.g. 00:00:30).")]
    [InlineData("--Orleans:Kubernetes=true", "Orleans:Kubernetes needs a shared membership: set Orleans:ClusteringMode to Redis or PostgreSql.")]
    public void Invalid_orleans_or_storage_settings_and_missing_connection_strings_stop_the_silo_before_it_is_built(string argument, string message)
    {
        var error = Assert.Throws<SiloConfigurationException>(() => LlamaSiloHost.CreateBuilder([argument]));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_port_that_is_not_a_number_is_reported_with_its_key()
    {
        var error = Assert.Throws<SiloConfigurationException>(() => LlamaSiloHost.CreateBuilder(["--Orleans:GatewayPort=thirty"]));

        Assert.Contains("Orleans:GatewayPort", error.Message, StringComparison.Ordinal);
        Assert.Contains("thirty", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Clustering:ProviderType", "Development")]
    [InlineData("Endpoints:SiloPort", "11112")]
    public void Orleans_own_clustering_and_endpoint_sections_are_refused(string key, string value)
    {
        var error = Assert.Throws<SiloConfigurationException>(() => LlamaSiloHost.CreateBuilder([$"--Orleans:{key}={value}"]));

        Assert.StartsWith($"Orleans:{key.Split(':')[0]} is Orleans' own provider configuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hosted_model_whose_checkpoint_is_missing_stops_the_start_naming_the_path()
    {
        using var host = Build("--Llama:Models:0:Path=models/missing.bin", "--Storage:DataSource=" + Path.Combine(Path.GetTempPath(), "never-created.db"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        var failure = Assert.Single(error.Failures);
        Assert.Equal($"Llama:Models:0:Path: the checkpoint of model 'demo', '{Shipped("models/missing.bin")}', does not exist.", failure);
    }

    [Fact]
    public void A_hosted_model_whose_tokenizer_is_missing_is_reported_with_the_path()
    {
        var tokenizer = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}", "tokenizer.model");
        using var host = Build($"--Llama:Models:0:Tokenizer={tokenizer}");

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value);

        Assert.Contains($"'{tokenizer}', does not exist", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void A_random_weights_model_is_bound_from_configuration_and_bad_combinations_are_reported_with_their_keys()
    {
        using var random = Build("--Llama:Models:0:Path=", "--Llama:Models:0:Random:Shape=7b", "--Llama:Models:0:Random:Seed=20", "--Llama:Models:0:Random:Layers=2");
        var model = random.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value.Models[0];
        Assert.Equal(20UL, model.Random!.Seed);
        Assert.Equal(
            new Llama.Model.ModelArgs { Dim = 4096, NLayers = 2, NHeads = 32, VocabSize = 32000, ExplicitHiddenDim = 11008 },
            model.Random.Args(512));

        using var bad = Build("--Llama:Models:0:Random:Shape=7b", "--Llama:Models:0:Parallel=Pipeline", "--Llama:Models:0:Stages=2",
            "--Llama:Models:1:Name=b", "--Llama:Models:1:Host=false", "--Llama:Models:1:Random:Shape=13b",
            "--Llama:Models:2:Name=c", "--Llama:Models:2:Host=false", "--Llama:Models:2:Random:Dim=64",
            "--Llama:Models:3:Name=d", "--Llama:Models:3:Host=false", "--Llama:Models:3:Random:Dim=64", "--Llama:Models:3:Random:Layers=2", "--Llama:Models:3:Random:Heads=3");
        var error = Assert.Throws<OptionsValidationException>(() => bad.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value);
        Assert.Equal(
            [
                "Llama:Models:0:Path and Llama:Models:0:Random are both set; a model has a checkpoint or random weights, not both.",
                "Llama:Models:0:Random serves whole models only, but Llama:Models:0:Parallel is Pipeline.",
                "Llama:Models:1:Random:Shape is '13b'; it must be 7b, 110m or empty (with Dim, Layers and Heads given).",
                "Llama:Models:2:Random: without a Shape, Dim, Layers and Heads must all be given.",
                "Llama:Models:3:Random: Invalid model parameters: dim 64 is not divisible by n_heads 3.",
            ],
            error.Failures);
    }

    [Fact]
    public void Models_hosted_elsewhere_need_no_local_files_but_every_model_needs_a_distinct_name()
    {
        using var elsewhere = Build("--Llama:Models:0:Host=false", "--Llama:Models:0:Path=/absent/model.bin", "--Llama:Models:0:Tokenizer=/absent/tok.bin");
        Assert.Equal("/absent/model.bin", elsewhere.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value.Models[0].Path);

        using var twins = Build("--Llama:Models:1:Name=demo", "--Llama:Models:1:Host=false", "--Llama:Models:2:Host=false", "--Llama:Models:2:MaxSeqLen=0");
        var error = Assert.Throws<OptionsValidationException>(() => twins.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value);
        Assert.Equal(
            [
                "Llama:Models:1:Name 'demo' is used by an earlier model too.",
                "Llama:Models:2:Name is empty.",
                "Llama:Models:2:MaxSeqLen is 0; it must be positive.",
            ],
            error.Failures);
    }

    [Fact]
    public void Conversation_settings_are_read_from_configuration_and_out_of_range_ones_are_reported_with_their_keys()
    {
        using var configured = Build("--Llama:Conversations:DefaultMaxReplyTokens=100", "--Llama:Conversations:ShrinkToFraction=0.75");
        var conversations = configured.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value.Conversations;
        Assert.Equal((100, 0.75), (conversations.DefaultMaxReplyTokens, conversations.ShrinkToFraction));

        using var bad = Build("--Llama:Conversations:DefaultMaxReplyTokens=0", "--Llama:Conversations:ShrinkToFraction=1.5");
        var error = Assert.Throws<OptionsValidationException>(() => bad.Services.GetRequiredService<IOptions<LlamaHostingOptions>>().Value);
        Assert.Equal(
            [
                "Llama:Conversations:DefaultMaxReplyTokens must be at least 1, got 0.",
                "Llama:Conversations:ShrinkToFraction must be in (0, 1], got 1.5.",
            ],
            error.Failures);
    }
}
