using k8s;
using k8s.Models;

namespace LlamaOrleans.Charts.Tests;

/// <summary>
/// NOTES.txt, which helm prints after install, tells how to reach the API for the release's values. helm renders it
/// only on install (which needs a cluster), so the test renders it through a copy of the chart that exposes it as a
/// ConfigMap.
/// </summary>
public sealed class ChartNotesTests
{
    [Fact]
    public async Task The_notes_show_a_port_forward_and_a_chat_request_with_the_key()
    {
        var notes = await RenderNotesAsync([]);

        Assert.Contains($"kubectl --namespace {Helm.Namespace} port-forward service/{RenderedChart.FullName} 8080:80", notes);
        Assert.Contains("export API=http://127.0.0.1:8080", notes);
        Assert.Contains("curl -s \"$API/v1/chat/completions\" -H \"Authorization: Bearer $KEY\"", notes);
        Assert.Contains("\"model\": \"demo\"", notes);
        Assert.Contains("kubectl --namespace ai create secret generic llama-orleans-api-keys", notes);
        Assert.Contains("--from-literal=default=", notes);
    }

    [Fact]
    public async Task With_an_Ingress_the_notes_point_at_its_host()
    {
        var notes = await RenderNotesAsync([RepositoryPaths.ChartExample("values-70b-8gpu.yaml")]);

        Assert.Contains("export API=https://llama.example.com", notes);
        Assert.Contains("\"model\": \"llama-2-70b-chat\"", notes);
        Assert.DoesNotContain("port-forward", notes);
    }

    [Fact]
    public async Task Without_required_keys_the_notes_ask_for_none()
    {
        var notes = await RenderNotesAsync([], "http.requireApiKey=false");

        Assert.DoesNotContain("Authorization", notes);
        Assert.DoesNotContain("create secret", notes);
    }

    private static async Task<string> RenderNotesAsync(IEnumerable<string> valuesFiles, params string[] sets)
    {
        var copy = Directory.CreateTempSubdirectory("llama-orleans-chart-");
        try
        {
            DirectoryCopy.Copy(RepositoryPaths.Chart, copy.FullName);
            File.Move(Path.Combine(copy.FullName, "templates", "NOTES.txt"), Path.Combine(copy.FullName, "NOTES.txt"));
            await File.WriteAllTextAsync(
                Path.Combine(copy.FullName, "templates", "notes-probe.yaml"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get \"NOTES.txt\") . | quote }}\n",
                TestContext.Current.CancellationToken);

            var result = await ProcessRunner.RunAsync(
                ChartTools.Helm,
                [
                    "template", Helm.ReleaseName, copy.FullName, "--namespace", Helm.Namespace,
                    "--show-only", "templates/notes-probe.yaml",
                    .. valuesFiles.SelectMany(f => new[] { "--values", f }),
                    .. sets.SelectMany(s => new[] { "--set", s }),
                ]);
            Assert.True(result.ExitCode == 0, result.Describe());
            return KubernetesYaml.Deserialize<V1ConfigMap>(result.StandardOutput).Data["notes"];
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }
}
