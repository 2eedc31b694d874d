using System.Globalization;

namespace LlamaOrleans.Charts.Tests;

/// <summary>
/// The images' recipes agree with each other and with the chart: same build, non-root user, entry point, health
/// check, ports and folders. (DockerfileRecipeTests replays the CPU image's build.)
/// </summary>
public sealed class DockerfileTests
{
    private static readonly Dockerfile Cpu = Dockerfile.Load(RepositoryPaths.Docker("Dockerfile"));
    private static readonly Dockerfile Cuda = Dockerfile.Load(RepositoryPaths.Docker("Dockerfile.cuda"));

    public static TheoryData<string> Files() => new() { "Dockerfile", "Dockerfile.cuda" };

    [Fact]
    public void The_CPU_image_builds_on_the_NET_10_SDK_and_runs_on_ASP_NET_Core()
    {
        Assert.Equal("10.0", Cpu.GlobalArguments["DOTNET_VERSION"]);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", Cpu.Stage("build").BaseImage);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Cpu.Final.BaseImage);
        Assert.DoesNotContain("LlamaGpu", Publish(Cpu).Arguments);
    }

    [Fact]
    public void The_CUDA_image_builds_the_GPU_switch_and_runs_on_a_CUDA_base_of_the_same_distribution()
    {
        Assert.Contains("-p:LlamaGpu=true", Publish(Cuda).Arguments);
        Assert.Contains("-p:LlamaGpu=true", Cuda.Stage("build").All("RUN").Single(r => r.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal)).Arguments);
        Assert.StartsWith("nvidia/cuda:", Cuda.Final.BaseImage);
        // The .NET 10 images are Ubuntu 24.04: the native library built there must load here.
        Assert.Contains("ubuntu24.04", Cuda.Final.BaseImage);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", Cuda.Stage("dotnet").BaseImage);
        Assert.Contains(Cuda.Final.All("COPY"), c => c.Arguments == "--from=dotnet /usr/share/dotnet /usr/share/dotnet");
    }

    [Fact]
    public void Both_images_build_the_silo_the_same_way_but_for_the_GPU_switch()
    {
        static IEnumerable<DockerInstruction> Build(Dockerfile file) =>
            file.Stage("build").Instructions.Select(i => i with { Arguments = i.Arguments.Replace(" -p:LlamaGpu=true", "", StringComparison.Ordinal) });

        Assert.Equal(Build(Cpu), Build(Cuda));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task The_image_runs_as_the_charts_non_root_user(string file)
    {
        var dockerfile = Dockerfile.Load(RepositoryPaths.Docker(file));
        var chart = await RenderedChart.RenderAsync([]);

        var user = dockerfile.Final.Last("USER").Arguments.Split(':');
        var uid = long.Parse(user[0], CultureInfo.InvariantCulture);
        Assert.NotEqual(0, uid);
        var pod = chart.SiloGroup("cpu").Spec.Template.Spec.SecurityContext;
        Assert.Equal(uid, pod.RunAsUser);
        Assert.Equal(long.Parse(user[1], CultureInfo.InvariantCulture), pod.RunAsGroup);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Entry_point_ports_folders_and_health_check_match_the_chart(string file)
    {
        var dockerfile = Dockerfile.Load(RepositoryPaths.Docker(file));
        var silo = (await RenderedChart.RenderAsync([])).SiloGroup("cpu").Silo();

        Assert.Equal(["dotnet", "/app/llama-orleans-silo.dll"], dockerfile.Final.Last("ENTRYPOINT").ExecForm());
        Assert.Contains(dockerfile.Final.All("COPY"), c => c.Arguments == "--from=build /app /app");
        var exposed = dockerfile.Final.Last("EXPOSE").Arguments.Split(' ');
        Assert.Equal(silo.Ports.Select(p => p.ContainerPort.ToString(CultureInfo.InvariantCulture)).Order(), exposed.Order());
        Assert.Equal(silo.WorkingDir, dockerfile.Final.Last("WORKDIR").Arguments);
        Assert.Equal(["/data", "/models"], dockerfile.Final.Last("VOLUME").ExecForm());
        Assert.Contains("LLAMA_Http__Urls=http://0.0.0.0:8080", dockerfile.Final.Last("ENV").Arguments);

        var health = dockerfile.Final.Last("HEALTHCHECK").Arguments;
        Assert.Contains("/dev/tcp/127.0.0.1/8080", health);
        Assert.Contains("GET /healthz", health);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_build_context_leaves_out_build_output(string file)
    {
        var ignored = File.ReadAllLines(RepositoryPaths.Docker(file + ".dockerignore"));

        Assert.Equal("**", ignored.First(l => l.Length > 0 && !l.StartsWith('#')));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        var copied = Dockerfile.Load(RepositoryPaths.Docker(file)).Stage("build").All("COPY")
            .SelectMany(c => c.Arguments.Split(' ')[..^1]);
        foreach (var source in copied)
        {
            Assert.Contains("!" + source, ignored);
        }
    }

    private static DockerInstruction Publish(Dockerfile file) =>
        file.Stage("build").All("RUN").Single(r => r.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal));
}
