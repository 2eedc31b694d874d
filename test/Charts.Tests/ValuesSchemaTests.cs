namespace LlamaOrleans.Charts.Tests;

/// <summary>
/// Bad values are refused before anything reaches a cluster: by values.schema.json (types, enums, unknown keys) or
/// by the chart's own checks (references between models and silo groups, missing Secrets), with a message that
/// names the key. helm lint fails on the first; on the second (a template's fail) it only reports the message,
/// while helm template, install and upgrade refuse.
/// </summary>
public sealed class ValuesSchemaTests
{
    public static TheoryData<string, string> BadValues() => new()
    {
        { "orleans:\n  clusteringMode: Consul\n", "orleans.clusteringMode must be one of the following: \"Redis\", \"PostgreSql\"" },
        { "storage:\n  provider: Sqlite\n", "storage.provider must be one of the following" },
        { "replica: 3\n", "Additional property replica is not allowed" },
        { "siloGroups:\n  - name: gpu\n    gpus: \"8\"\n    models: []\n", "siloGroups.0.gpus: Invalid type. Expected: integer, given: string" },
        { "siloGroups:\n  - name: GPU_Group\n    models: []\n", "siloGroups.0.name: Does not match pattern" },
        { "siloGroups:\n  - name: cpu\n    replicas: -1\n    models: []\n", "siloGroups.0.replicas: Must be greater than or equal to 0" },
        { "models:\n  - name: demo\n    path: m.bin\n    tokenizer: t.bin\n    parallel: Data\n", "models.0.parallel must be one of the following" },
        { "models:\n  - name: demo\n    path: m.bin\n    tokenizer: t.bin\n    settings:\n      Host: false\n", "models.0.settings" },
        { "models:\n  - name: demo\n    tokenizer: t.bin\n", "models.0: path is required" },
        { "http:\n  apiKeys:\n    existingSecret: keys\n    keys:\n      - tenant: a\n        name: a\n        sha256: 0123\n", "Additional property sha256 is not allowed" },
        { "siloGroups:\n  - name: cpu\n    models: []\n    autoscaling:\n      enabled: true\n", "siloGroups.0.autoscaling: maxReplicas is required" },
        { "modelStorage:\n  type: nfs\n  mountPath: /models\n", "modelStorage.type must be one of the following" },
        { "http:\n  apiKeys:\n    existingSecret: keys\n    keys:\n      - tenant: team a\n        name: a\n        secretKey: a\n", "http.apiKeys.keys.0.tenant: Does not match pattern" },
        { "http:\n  rateLimits:\n    requestsPerMinute: -1\n", "http.rateLimits.requestsPerMinute: Must be greater than or equal to 0" },
    };

    public static TheoryData<string, string> InconsistentValues() => new()
    {
        {
            "siloGroups:\n  - name: cpu\n    models:\n      - name: llama\n",
            "siloGroups[cpu].models: \"llama\" is not one of models[].name (demo)"
        },
        {
            TensorModel + "siloGroups:\n  - name: gpu\n    gpus: 4\n    models:\n      - name: big\n        ranks: [0, 1, 2, 3]\n",
            "models[big]: rank 4 of 8 is hosted by no silo group"
        },
        {
            TensorModel + "siloGroups:\n  - name: gpu\n    gpus: 8\n    models:\n      - name: big\n        ranks: [0, 1, 2, 3, 4, 5, 6, 7, 8]\n",
            "siloGroups[gpu].models[big].ranks: rank 8 is out of range; the model has 8 (worldSize)"
        },
        {
            TensorModel + "siloGroups:\n  - name: gpu\n    gpus: 8\n    models:\n      - name: big\n",
            "siloGroups[gpu].models[big].ranks: the model is Tensor-parallel; list the ranks this group hosts"
        },
        {
            "siloGroups:\n  - name: cpu\n    models:\n      - name: demo\n        ranks: [0]\n",
            "the model is not parallel (parallel: None), so it has no ranks"
        },
        {
            "orleans:\n  clusteringMode: PostgreSql\n",
            "connectionStrings.postgreSql.existingSecret: PostgreSql is chosen"
        },
        {
            "redis:\n  enabled: false\n",
            "connectionStrings.redis.existingSecret: Redis is chosen"
        },
        {
            "http:\n  apiKeys:\n    existingSecret: keys\n    keys: []\n",
            "http.apiKeys.keys: http.requireApiKey is true but no API key is listed"
        },
        {
            "modelStorage:\n  type: persistentVolumeClaim\n  mountPath: /models\n",
            "modelStorage.claimName: modelStorage.type is persistentVolumeClaim"
        },
        {
            "siloGroups:\n  - name: cpu\n    models: []\n  - name: cpu\n    models: []\n",
            "siloGroups: the name \"cpu\" appears twice"
        },
        {
            "fullnameOverride: a-release-name-that-is-rather-long-indeed\nsiloGroups:\n  - name: gpu-shards-a\n    models: []\n",
            "siloGroups[gpu-shards-a]: the StatefulSet name \"a-release-name-that-is-rather-long-indeed-gpu-shards-a\" is longer than 52 characters"
        },
    };

    private const string TensorModel =
        "models:\n  - name: big\n    path: /models/big\n    tokenizer: /models/tokenizer.model\n    device: cuda\n    parallel: Tensor\n    worldSize: 8\n";

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task The_schema_refuses_bad_values(string values, string message)
    {
        await AssertRefused(values, message, lintFails: true);
    }

    [Theory]
    [MemberData(nameof(InconsistentValues))]
    public async Task The_chart_refuses_values_that_could_never_serve(string values, string message)
    {
        await AssertRefused(values, message, lintFails: false);
    }

    [Fact]
    public async Task A_silo_group_may_leave_out_what_has_a_default()
    {
        var file = await WriteValuesAsync("siloGroups:\n  - name: lean\n    models:\n      - name: demo\n");
        try
        {
            var chart = await RenderedChart.RenderAsync([file]);

            var set = chart.SiloGroup("lean");
            Assert.Equal(1, set.Spec.Replicas);
            Assert.Null(set.Silo().Resources.Limits);
            Assert.NotNull(set.Spec.Template.Spec.Affinity.PodAntiAffinity);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task AssertRefused(string values, string message, bool lintFails)
    {
        var file = await WriteValuesAsync(values);
        try
        {
            var lint = await Helm.LintAsync([file]);
            var template = await Helm.TemplateAsync([file], []);

            Assert.True((lint.ExitCode != 0) == lintFails, $"helm lint: {lint.Describe()}");
            Assert.Contains(message, lint.StandardOutput + lint.StandardError);
            Assert.True(template.ExitCode != 0, $"helm template accepted the values: {template.Describe()}");
            Assert.Contains(message, template.StandardError);
            Assert.Empty(template.StandardOutput);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<string> WriteValuesAsync(string values)
    {
        var file = Path.Combine(Path.GetTempPath(), $"llama-orleans-values-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, values, TestContext.Current.CancellationToken);
        return file;
    }
}
