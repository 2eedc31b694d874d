using k8s.Models;

namespace LlamaOrleans.Charts.Tests;

/// <summary>
/// examples/values-70b-8gpu.yaml: Llama 2 70B chat as 8 tensor-parallel ranks on one 8-GPU silo, CPU silos in front,
/// PostgreSQL from a Secret, models from a claim, Ingress and ServiceMonitor.
/// </summary>
public sealed class Llama70BRenderTests
{
    private static Task<RenderedChart> RenderAsync() => RenderedChart.RenderAsync([RepositoryPaths.ChartExample("values-70b-8gpu.yaml")]);

    [Fact]
    public async Task The_GPU_group_gets_eight_GPUs_the_CUDA_image_and_GPU_nodes()
    {
        var chart = await RenderAsync();

        var gpu = chart.SiloGroup("gpu");
        var pod = gpu.Spec.Template.Spec;
        var silo = gpu.Silo();
        Assert.Equal(new ResourceQuantity("8"), silo.Resources.Limits["nvidia.com/gpu"]);
        Assert.StartsWith("llama-orleans/silo-cuda:", silo.Image);
        Assert.Equal("nvidia", pod.RuntimeClassName);
        Assert.Equal("8", pod.NodeSelector["nvidia.com/gpu.count"]);
        Assert.Contains(pod.Tolerations, t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");

        var front = chart.SiloGroup("front").Silo();
        Assert.False(front.Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.StartsWith("llama-orleans/silo:", front.Image);
    }

    [Fact]
    public async Task The_GPU_silo_hosts_all_eight_tensor_ranks_and_the_front_silos_none()
    {
        var chart = await RenderAsync();

        var gpu = chart.SiloGroup("gpu").Silo();
        Assert.Equal("llama-2-70b-chat", gpu.EnvValue("LLAMA_Llama__Models__0__Name"));
        Assert.Equal("true", gpu.EnvValue("LLAMA_Llama__Models__0__Host"));
        Assert.Equal("Tensor", gpu.EnvValue("LLAMA_Llama__Models__0__Parallel"));
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7"], gpu.EnvList("LLAMA_Llama__Models__0__Ranks"));
        Assert.Equal("cuda", gpu.EnvValue("LLAMA_Llama__Models__0__Device"));
        Assert.Equal("bfloat16", gpu.EnvValue("LLAMA_Llama__Models__0__DType"));
        Assert.Equal("4096", gpu.EnvValue("LLAMA_Llama__Models__0__MaxSeqLen"));
        Assert.Equal("21474836480", gpu.EnvValue("LLAMA_Llama__Models__0__KvCacheBytes"));
        Assert.False(gpu.HasEnv("LLAMA_Llama__Models__0__Stages"));

        var front = chart.SiloGroup("front").Silo();
        Assert.Equal("llama-2-70b-chat", front.EnvValue("LLAMA_Llama__Models__0__Name"));
        Assert.Equal("false", front.EnvValue("LLAMA_Llama__Models__0__Host"));
        Assert.Empty(front.EnvList("LLAMA_Llama__Models__0__Ranks"));
    }

    [Fact]
    public async Task The_model_comes_read_only_from_the_claim_where_its_path_points()
    {
        var chart = await RenderAsync();

        var set = chart.SiloGroup("gpu");
        var silo = set.Silo();
        var mount = Assert.Single(silo.VolumeMounts, m => m.Name == "models");
        Assert.True(mount.ReadOnlyProperty);
        var volume = Assert.Single(set.Spec.Template.Spec.Volumes, v => v.Name == "models");
        Assert.Equal("llama-models", volume.PersistentVolumeClaim.ClaimName);
        Assert.StartsWith(mount.MountPath + "/", silo.EnvValue("LLAMA_Llama__Models__0__Path"));
        Assert.StartsWith(mount.MountPath + "/", silo.EnvValue("LLAMA_Llama__Models__0__Tokenizer"));
    }

    [Fact]
    public async Task PostgreSql_serves_clustering_and_storage_from_a_Secret()
    {
        var chart = await RenderAsync();

        foreach (var group in new[] { "front", "gpu" })
        {
            var silo = chart.SiloGroup(group).Silo();
            Assert.Equal("PostgreSql", silo.EnvValue("LLAMA_Orleans__ClusteringMode"));
            Assert.Equal("PostgreSql", silo.EnvValue("LLAMA_Storage__Provider"));
            var connection = silo.Env("LLAMA_ConnectionStrings__PostgreSql");
            Assert.Null(connection.Value);
            Assert.Equal(("llama-orleans-postgres", "connection-string"), (connection.ValueFrom.SecretKeyRef.Name, connection.ValueFrom.SecretKeyRef.Key));
            Assert.False(silo.HasEnv("LLAMA_ConnectionStrings__Redis"));
            Assert.False(silo.HasEnv("LLAMA_Storage__CreatePostgreSqlSchema"));
        }

        Assert.DoesNotContain(chart.All<V1StatefulSet>(), s => s.Metadata.Name.EndsWith("-redis", StringComparison.Ordinal));
        Assert.Empty(chart.All<V1Secret>());
    }

    [Fact]
    public async Task Every_secret_value_is_referenced_never_inlined()
    {
        var chart = await RenderAsync();

        var secretLike = new[] { "ConnectionStrings", "Sha256", "PASSWORD" };
        foreach (var set in chart.All<V1StatefulSet>())
        {
            foreach (var variable in set.Spec.Template.Spec.Containers.SelectMany(c => c.Env))
            {
                if (secretLike.Any(s => variable.Name.Contains(s, StringComparison.Ordinal)))
                {
                    Assert.True(variable.ValueFrom?.SecretKeyRef is not null, $"{set.Metadata.Name}: {variable.Name} is not from a Secret");
                }
            }
        }

        Assert.DoesNotContain("Password=", chart.Yaml, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Keys_limits_and_quotas_reach_every_silo()
    {
        var chart = await RenderAsync();

        foreach (var group in new[] { "front", "gpu" })
        {
            var silo = chart.SiloGroup(group).Silo();
            Assert.Equal(("team-a", "team-a-prod"), (silo.EnvValue("LLAMA_Http__ApiKeys__0__Tenant"), silo.EnvValue("LLAMA_Http__ApiKeys__0__Name")));
            Assert.Equal(("team-a", "team-a-batch"), (silo.EnvValue("LLAMA_Http__ApiKeys__1__Tenant"), silo.EnvValue("LLAMA_Http__ApiKeys__1__Name")));
            Assert.Equal("team-a-batch", silo.Env("LLAMA_Http__ApiKeys__1__Sha256").ValueFrom.SecretKeyRef.Key);
            Assert.Equal("3000", silo.EnvValue("LLAMA_Http__ApiKeys__1__RequestsPerMinute"));
            Assert.Equal("0", silo.EnvValue("LLAMA_Http__ApiKeys__1__MaxConcurrentStreams"));
            Assert.False(silo.HasEnv("LLAMA_Http__ApiKeys__0__RequestsPerMinute"));
            Assert.Equal("600", silo.EnvValue("LLAMA_Http__RateLimits__RequestsPerMinute"));
            Assert.Equal("64", silo.EnvValue("LLAMA_Http__RateLimits__MaxConcurrentStreams"));
            Assert.Equal("1048576", silo.EnvValue("LLAMA_Http__MaxRequestBodyBytes"));
            Assert.Equal("20000000", silo.EnvValue("LLAMA_Http__Quotas__team-a__DailyTokens"));
        }
    }

    [Fact]
    public async Task Loading_70B_may_take_half_an_hour_and_draining_two_minutes()
    {
        var chart = await RenderAsync();

        var set = chart.SiloGroup("gpu");
        var startup = set.Silo().StartupProbe;
        Assert.True(startup.PeriodSeconds * startup.FailureThreshold >= 1800);
        Assert.Equal("00:02:00", set.Silo().EnvValue("LLAMA_Orleans__ShutdownTimeout"));
        Assert.Equal(120 + 45, set.Spec.Template.Spec.TerminationGracePeriodSeconds);
    }

    [Fact]
    public async Task Each_group_has_its_own_disruption_budget()
    {
        var chart = await RenderAsync();

        var budgets = chart.All<V1PodDisruptionBudget>().ToList();
        Assert.Equal(2, budgets.Count);
        foreach (var group in new[] { "front", "gpu" })
        {
            var set = chart.SiloGroup(group);
            Assert.Single(budgets, b => b.Spec.Selector.MatchLabels.SequenceEqual(set.Spec.Selector.MatchLabels));
        }
    }

    [Fact]
    public async Task Ingress_and_ServiceMonitor_reach_the_silos_http_port()
    {
        var chart = await RenderAsync();

        var service = chart.Single<V1Service>(RenderedChart.FullName);
        var ingress = Assert.Single(chart.All<V1Ingress>());
        var backend = Assert.Single(Assert.Single(ingress.Spec.Rules).Http.Paths).Backend.Service;
        Assert.Equal((service.Metadata.Name, "http"), (backend.Name, backend.Port.Name));
        Assert.Equal("nginx", ingress.Spec.IngressClassName);

        var monitor = Assert.Single(chart.All<ServiceMonitor>());
        var endpoint = Assert.Single(monitor.Spec.Endpoints);
        Assert.Equal(("metrics", "/metrics"), (endpoint.Port, endpoint.Path));
        var headless = chart.Single<V1Service>($"{RenderedChart.FullName}-silos");
        Assert.Subset(headless.Metadata.Labels.ToHashSet(), monitor.Spec.Selector.MatchLabels.ToHashSet());
        Assert.Contains(headless.Spec.Ports, p => p.Name == "metrics");
        Assert.DoesNotContain(service.Spec.Ports, p => p.Name == "metrics");
    }
}
