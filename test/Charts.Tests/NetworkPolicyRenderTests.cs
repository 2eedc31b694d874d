using k8s.Models;

namespace LlamaOrleans.Charts.Tests;

/// <summary>
/// Orleans' ports have no authentication: the chart's NetworkPolicy admits only silo pods (and named gateway clients)
/// to them, keeps the HTTP port open, and /metrics is served only for the ServiceMonitor.
/// </summary>
public sealed class NetworkPolicyRenderTests
{
    [Fact]
    public async Task Only_silo_pods_reach_the_silo_and_gateway_ports_and_the_http_port_stays_open()
    {
        var chart = await RenderedChart.RenderAsync([]);

        var policy = chart.Single<V1NetworkPolicy>($"{RenderedChart.FullName}-silos");
        var siloLabels = chart.SiloGroup("cpu").Spec.Template.Metadata.Labels;
        Assert.Subset(siloLabels.ToHashSet(), policy.Spec.PodSelector.MatchLabels.ToHashSet());
        Assert.Equal(["Ingress"], policy.Spec.PolicyTypes);

        // Open to all: the http port and the metrics port (which only the headless Service names).
        var open = Assert.Single(policy.Spec.Ingress, r => r.FromProperty is null || r.FromProperty.Count == 0);
        Assert.Equal(["http", "metrics"], open.Ports.Select(p => p.Port.Value));

        // Everything else comes from silo pods of this release.
        var orleans = Assert.Single(policy.Spec.Ingress, r => r.FromProperty is { Count: > 0 });
        var peer = Assert.Single(orleans.FromProperty);
        Assert.Null(peer.NamespaceSelector);
        Assert.Null(peer.IpBlock);
        Assert.Equal(policy.Spec.PodSelector.MatchLabels, peer.PodSelector.MatchLabels);
        Assert.Equal(["silo", "gateway"], orleans.Ports.Select(p => p.Port.Value));
    }

    [Fact]
    public async Task Gateway_clients_are_admitted_to_the_gateway_port_only_and_the_policy_can_be_left_out()
    {
        var chart = await RenderedChart.RenderAsync([], "networkPolicy.gatewayClients[0].podSelector.matchLabels.app=my-app");

        var policy = chart.Single<V1NetworkPolicy>($"{RenderedChart.FullName}-silos");
        var clients = Assert.Single(policy.Spec.Ingress, r => r.FromProperty is { Count: > 0 } && r.FromProperty[0].PodSelector.MatchLabels.ContainsKey("app"));
        Assert.Equal("my-app", clients.FromProperty[0].PodSelector.MatchLabels["app"]);
        Assert.Equal(["gateway"], clients.Ports.Select(p => p.Port.Value));

        var without = await RenderedChart.RenderAsync([], "networkPolicy.enabled=false");
        Assert.Empty(without.All<V1NetworkPolicy>());
    }

    [Fact]
    public async Task The_silos_serve_metrics_on_their_own_port_which_the_public_Service_does_not_expose()
    {
        var monitored = await RenderedChart.RenderAsync([], "serviceMonitor.enabled=true");

        Assert.Equal("http://0.0.0.0:9090", monitored.SiloGroup("cpu").Silo().EnvValue("LLAMA_Http__Metrics__Urls"));
        var endpoint = Assert.Single(Assert.Single(monitored.All<ServiceMonitor>()).Spec.Endpoints);
        Assert.Equal("metrics", endpoint.Port);
        var service = monitored.Single<V1Service>(RenderedChart.FullName);
        Assert.DoesNotContain(service.Spec.Ports, p => p.Name == "metrics" || p.Port == 9090);
    }
}
