using k8s.Models;

namespace LlamaOrleans.Charts.Tests;

/// <summary>What the chart's default values deploy: CPU silos with the demo model, bundled Redis, API keys required.</summary>
public sealed class DefaultValuesRenderTests
{
    private static readonly string[] OrleansPodVerbs = ["get", "watch", "list", "delete", "patch"];

    [Fact]
    public async Task Silos_run_as_a_ServiceAccount_bound_to_a_Role_that_can_watch_and_delete_pods()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var set = chart.SiloGroup("cpu");
        var account = chart.Single<V1ServiceAccount>(set.Spec.Template.Spec.ServiceAccountName);
        var role = chart.Single<V1Role>(RenderedChart.FullName);
        var binding = chart.Single<V1RoleBinding>(RenderedChart.FullName);

        var podRule = Assert.Single(role.Rules, r => r.Resources.Contains("pods"));
        Assert.Equal([""], podRule.ApiGroups);
        Assert.Subset(podRule.Verbs.ToHashSet(), OrleansPodVerbs.ToHashSet());
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, Helm.Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.NotEqual(false, set.Spec.Template.Spec.AutomountServiceAccountToken);
    }

    [Fact]
    public async Task Silo_pods_carry_what_Orleans_Kubernetes_hosting_reads()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var set = chart.SiloGroup("cpu");
        var labels = set.Spec.Template.Metadata.Labels;
        var silo = set.Silo();
        Assert.Equal("true", silo.EnvValue("LLAMA_Orleans__Kubernetes"));
        Assert.Equal(labels["orleans/serviceId"], silo.EnvValue("LLAMA_Orleans__ServiceId"));
        Assert.Equal(labels["orleans/clusterId"], silo.EnvValue("LLAMA_Orleans__ClusterId"));
        Assert.Equal("llama-orleans", labels["orleans/serviceId"]);
        Assert.Equal(RenderedChart.FullName, labels["orleans/clusterId"]);
        Assert.Equal("metadata.name", silo.Env("POD_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", silo.Env("POD_NAMESPACE").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("status.podIP", silo.Env("POD_IP").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.labels['orleans/serviceId']", silo.Env("ORLEANS_SERVICE_ID").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.labels['orleans/clusterId']", silo.Env("ORLEANS_CLUSTER_ID").ValueFrom.FieldRef.FieldPath);
        Assert.Equal(
            [("http", 8080), ("metrics", 9090), ("silo", 11111), ("gateway", 30000)],
            silo.Ports.Select(p => (p.Name, p.ContainerPort)));
        Assert.Equal("11111", silo.EnvValue("LLAMA_Orleans__SiloPort"));
        Assert.Equal("30000", silo.EnvValue("LLAMA_Orleans__GatewayPort"));
        Assert.Equal("http://0.0.0.0:8080", silo.EnvValue("LLAMA_Http__Urls"));
    }

    [Fact]
    public async Task Probes_ask_healthz_and_readyz_and_a_startup_probe_covers_model_loading()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var silo = chart.SiloGroup("cpu").Silo();
        Assert.Equal(("/healthz", "http"), (silo.StartupProbe.HttpGet.Path, silo.StartupProbe.HttpGet.Port.Value));
        Assert.Equal(("/healthz", "http"), (silo.LivenessProbe.HttpGet.Path, silo.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal(("/readyz", "http"), (silo.ReadinessProbe.HttpGet.Path, silo.ReadinessProbe.HttpGet.Port.Value));
        Assert.True(
            silo.StartupProbe.PeriodSeconds * silo.StartupProbe.FailureThreshold >= 600,
            "the startup probe should allow at least 10 minutes for loading models");
    }

    [Fact]
    public async Task Termination_grace_outlasts_the_drain()
    {
        var chart = await RenderedChart.RenderAsync([], "orleans.shutdownTimeoutSeconds=3725");

        var set = chart.SiloGroup("cpu");
        var drain = TimeSpan.Parse(set.Silo().EnvValue("LLAMA_Orleans__ShutdownTimeout"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromSeconds(3725), drain);
        Assert.Equal(3725 + 45, set.Spec.Template.Spec.TerminationGracePeriodSeconds);
    }

    [Fact]
    public async Task Silos_run_as_non_root_on_a_read_only_root_filesystem_with_writable_scratch()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var pod = chart.SiloGroup("cpu").Spec.Template.Spec;
        var silo = pod.Containers.Single();
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
        Assert.True(silo.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(silo.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], silo.SecurityContext.Capabilities.Drop);
        foreach (var path in new[] { "/tmp", "/data" })
        {
            var mount = Assert.Single(silo.VolumeMounts, m => m.MountPath == path);
            Assert.NotNull(Assert.Single(pod.Volumes, v => v.Name == mount.Name).EmptyDir);
        }

        Assert.Equal("/data", silo.WorkingDir);
    }

    [Fact]
    public async Task Each_silo_group_has_a_disruption_budget_over_exactly_its_pods()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var set = chart.SiloGroup("cpu");
        var budget = Assert.Single(chart.All<V1PodDisruptionBudget>());
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
        Assert.Equal(set.Spec.Selector.MatchLabels, budget.Spec.Selector.MatchLabels);
        Assert.Subset(set.Spec.Template.Metadata.Labels.ToHashSet(), budget.Spec.Selector.MatchLabels.ToHashSet());
    }

    [Fact]
    public async Task The_API_Service_reaches_the_silos_http_port()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var set = chart.SiloGroup("cpu");
        var service = chart.Single<V1Service>(RenderedChart.FullName);
        Assert.Subset(set.Spec.Template.Metadata.Labels.ToHashSet(), service.Spec.Selector.ToHashSet());
        var port = Assert.Single(service.Spec.Ports);
        Assert.Equal(("http", 80, "http"), (port.Name, port.Port, port.TargetPort.Value));
        var headless = chart.Single<V1Service>(set.Spec.ServiceName);
        Assert.Equal("None", headless.Spec.ClusterIP);
    }

    [Fact]
    public async Task Api_key_hashes_come_from_the_Secret_and_the_chart_creates_no_Secret()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var silo = chart.SiloGroup("cpu").Silo();
        Assert.Equal("true", silo.EnvValue("LLAMA_Http__RequireApiKey"));
        Assert.Equal("default", silo.EnvValue("LLAMA_Http__ApiKeys__0__Tenant"));
        var hash = silo.Env("LLAMA_Http__ApiKeys__0__Sha256");
        Assert.Null(hash.Value);
        Assert.Equal(("llama-orleans-api-keys", "default"), (hash.ValueFrom.SecretKeyRef.Name, hash.ValueFrom.SecretKeyRef.Key));
        Assert.Empty(chart.All<V1Secret>());
    }

    [Fact]
    public async Task The_bundled_Redis_serves_clustering_and_storage()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var silo = chart.SiloGroup("cpu").Silo();
        var redis = chart.Single<V1StatefulSet>($"{RenderedChart.FullName}-redis");
        var service = chart.Single<V1Service>($"{RenderedChart.FullName}-redis");
        Assert.Equal("Redis", silo.EnvValue("LLAMA_Orleans__ClusteringMode"));
        Assert.Equal("Redis", silo.EnvValue("LLAMA_Storage__Provider"));
        Assert.Equal($"{service.Metadata.Name}:6379", silo.EnvValue("LLAMA_ConnectionStrings__Redis"));
        Assert.Subset(redis.Spec.Template.Metadata.Labels.ToHashSet(), service.Spec.Selector.ToHashSet());
        Assert.False(silo.HasEnv("LLAMA_ConnectionStrings__PostgreSql"));
        Assert.True(redis.Spec.Template.Spec.Containers.Single().SecurityContext.ReadOnlyRootFilesystem);
    }

    [Fact]
    public async Task A_Redis_password_stays_in_its_Secret_and_reaches_silos_by_reference()
    {
        var chart = await RenderedChart.RenderAsync([], "redis.auth.existingSecret=redis-auth");

        var silo = chart.SiloGroup("cpu").Silo();
        var names = silo.Env.Select(e => e.Name).ToList();
        var password = silo.Env("REDIS_PASSWORD");
        Assert.Equal(("redis-auth", "redis-password"), (password.ValueFrom.SecretKeyRef.Name, password.ValueFrom.SecretKeyRef.Key));
        // Kubernetes expands $(VAR) only from variables defined earlier in the list.
        Assert.True(names.IndexOf("REDIS_PASSWORD") < names.IndexOf("LLAMA_ConnectionStrings__Redis"));
        Assert.EndsWith(",password=$(REDIS_PASSWORD)", silo.EnvValue("LLAMA_ConnectionStrings__Redis"));
        var redis = chart.Single<V1StatefulSet>($"{RenderedChart.FullName}-redis").Spec.Template.Spec.Containers.Single();
        Assert.Equal("redis-auth", redis.Env.Single(e => e.Name == "REDIS_PASSWORD").ValueFrom.SecretKeyRef.Name);
        Assert.Contains("$(REDIS_PASSWORD)", redis.Args);
    }

    [Fact]
    public async Task An_external_Redis_replaces_the_bundled_one()
    {
        var chart = await RenderedChart.RenderAsync([], "connectionStrings.redis.existingSecret=redis-conn");

        var connection = chart.SiloGroup("cpu").Silo().Env("LLAMA_ConnectionStrings__Redis");
        Assert.Equal(("redis-conn", "connection-string"), (connection.ValueFrom.SecretKeyRef.Name, connection.ValueFrom.SecretKeyRef.Key));
        Assert.DoesNotContain(chart.All<V1StatefulSet>(), s => s.Metadata.Name.EndsWith("-redis", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Silos_may_prepare_the_PostgreSql_schema_when_asked()
    {
        var chart = await RenderedChart.RenderAsync(
            [],
            "orleans.clusteringMode=PostgreSql", "storage.provider=PostgreSql",
            "connectionStrings.postgreSql.existingSecret=pg", "storage.createPostgreSqlSchema=true");

        var silo = chart.SiloGroup("cpu").Silo();
        Assert.Equal("true", silo.EnvValue("LLAMA_Storage__CreatePostgreSqlSchema"));
        Assert.Equal("pg", silo.Env("LLAMA_ConnectionStrings__PostgreSql").ValueFrom.SecretKeyRef.Name);
        Assert.False(silo.HasEnv("LLAMA_ConnectionStrings__Redis"));
        Assert.DoesNotContain(chart.All<V1StatefulSet>(), s => s.Metadata.Name.EndsWith("-redis", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_group_hosts_the_demo_model_shipped_in_the_image_on_CPUs()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var set = chart.SiloGroup("cpu");
        var silo = set.Silo();
        Assert.Equal("demo", silo.EnvValue("LLAMA_Llama__Models__0__Name"));
        Assert.Equal("true", silo.EnvValue("LLAMA_Llama__Models__0__Host"));
        Assert.Equal("cpu", silo.EnvValue("LLAMA_Llama__Models__0__Device"));
        Assert.Equal("models/stories260K.bin", silo.EnvValue("LLAMA_Llama__Models__0__Path"));
        Assert.False(silo.HasEnv("LLAMA_Llama__Models__1__Name"));
        Assert.False(silo.Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.StartsWith("llama-orleans/silo:", silo.Image);
        Assert.Equal(2, set.Spec.Replicas);
        Assert.Empty(chart.All<V2HorizontalPodAutoscaler>());
        Assert.Empty(chart.All<V1Ingress>());
        Assert.Empty(chart.All<ServiceMonitor>());
    }

    [Fact]
    public async Task Autoscaling_hands_replicas_to_an_HPA_on_the_groups_StatefulSet()
    {
        var chart = await RenderedChart.RenderAsync(
            [],
            "siloGroups[0].name=cpu", "siloGroups[0].models[0].name=demo",
            "siloGroups[0].autoscaling.enabled=true", "siloGroups[0].autoscaling.maxReplicas=6");

        var set = chart.SiloGroup("cpu");
        var hpa = Assert.Single(chart.All<V2HorizontalPodAutoscaler>());
        Assert.Null(set.Spec.Replicas);
        Assert.Equal(("StatefulSet", set.Metadata.Name), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.Equal(6, hpa.Spec.MaxReplicas);
    }
}
