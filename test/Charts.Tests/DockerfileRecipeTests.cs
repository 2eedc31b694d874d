using System.Text.RegularExpressions;

namespace LlamaOrleans.Charts.Tests;

/// <summary>
/// No container engine exists in CI, so this replays docker/Dockerfile on the host: the build stage's COPY steps into
/// a scratch /src, its dotnet restore and publish exactly as written (paths moved under the scratch folder), then the
/// runtime stage's checks on /app; and asserts that what the image would run is there. A recipe step this test does
/// not know fails it, so the recipe cannot change unchecked.
/// </summary>
public sealed partial class DockerfileRecipeTests
{
    // Steps that set up the image's operating system rather than build the application: not replayed on the host.
    private static readonly string[] SystemSteps =
    [
        "apt-get update && apt-get install -y --no-install-recommends patchelf binutils g++", // build.sh installs these here
        "mkdir -p /data /models && chown 1654:1654 /data",
    ];

    [Fact]
    public async Task The_CPU_image_recipe_publishes_a_runnable_silo_with_the_demo_model()
    {
        var dockerfile = Dockerfile.Load(RepositoryPaths.Docker("Dockerfile"));
        var scratch = Directory.CreateTempSubdirectory("llama-orleans-image-");
        try
        {
            foreach (var stage in dockerfile.Stages)
            {
                var workDir = "/";
                foreach (var step in stage.Instructions)
                {
                    switch (step.Keyword)
                    {
                        case "WORKDIR":
                            workDir = step.Arguments;
                            Directory.CreateDirectory(Map(workDir, scratch.FullName));
                            break;
                        case "COPY" when step.Arguments.StartsWith("--from=", StringComparison.Ordinal):
                            // Between stages: the scratch folder already holds the other stage's output at the same path.
                            Assert.Equal("--from=build /app /app", step.Arguments);
                            break;
                        case "COPY":
                            CopyFromContext(step.Arguments, Map(workDir, scratch.FullName));
                            break;
                        case "RUN" when SystemSteps.Contains(step.Arguments):
                            break;
                        case "RUN":
                            await RunAsync(step.Arguments, Map(workDir, scratch.FullName), scratch.FullName);
                            break;
                        case "ARG" or "ENV" or "VOLUME" or "EXPOSE" or "USER" or "HEALTHCHECK" or "ENTRYPOINT":
                            break;
                        default:
                            Assert.Fail($"Dockerfile step {step.Keyword} {step.Arguments}: not known to this test; replay or skip it here.");
                            break;
                    }
                }
            }

            var app = Map("/app", scratch.FullName);
            var entryPoint = dockerfile.Final.Last("ENTRYPOINT").ExecForm();
            Assert.True(File.Exists(Map(entryPoint[1], scratch.FullName)), $"the entry point {entryPoint[1]} was not published");
            Assert.True(File.Exists(Path.Combine(app, "llama-orleans-silo.runtimeconfig.json")));
            Assert.True(File.Exists(Path.Combine(app, "appsettings.json")));
            // TorchSharp's native library and the CPU libtorch beside it (flat: the publish names a runtime).
            Assert.True(File.Exists(Path.Combine(app, "libLibTorchSharp.so")));
            Assert.True(File.Exists(Path.Combine(app, "libtorch_cpu.so")));
            Assert.False(Directory.Exists(Path.Combine(app, "runtimes", "linux-x64")), "native libraries should be flat in /app");
            Assert.Empty(Directory.GetFiles(app, "*.pdb"));

            // The chart's default model is the demo model shipped in the image, found relative to the application.
            var silo = (await RenderedChart.RenderAsync([])).SiloGroup("cpu").Silo();
            foreach (var key in new[] { "LLAMA_Llama__Models__0__Path", "LLAMA_Llama__Models__0__Tokenizer" })
            {
                var path = Path.Combine(app, silo.EnvValue(key));
                Assert.True(File.Exists(path), $"{key} points at {path}, which the image lacks");
                Assert.True(new FileInfo(path).Length > 0);
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>An image path, moved under the scratch folder.</summary>
    private static string Map(string imagePath, string scratch) => Path.Combine(scratch, imagePath.TrimStart('/'));

    /// <summary>COPY SRC... DEST from the build context (the repository), leaving out what the .dockerignore does.</summary>
    private static void CopyFromContext(string arguments, string workDir)
    {
        var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var destination = Path.Combine(workDir, parts[^1]);
        foreach (var source in parts[..^1])
        {
            var from = Path.Combine(RepositoryPaths.Root, source.TrimEnd('/'));
            if (Directory.Exists(from))
            {
                DirectoryCopy.Copy(from, destination, name => name is "bin" or "obj");
            }
            else
            {
                Assert.True(File.Exists(from), $"COPY {source}: not in the repository");
                var target = parts[^1].EndsWith('/') || parts.Length > 2 ? Path.Combine(destination, Path.GetFileName(from)) : destination;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(from, target, overwrite: true);
            }
        }
    }

    private static async Task RunAsync(string command, string workDir, string scratch)
    {
        var mapped = ImagePathPattern().Replace(command, m => Map(m.Value, scratch));
        // No MSBuild nodes outlive the step, as none outlive a container build.
        var result = await ProcessRunner.RunAsync(
            "/bin/sh", ["-c", mapped], workDir, TimeSpan.FromMinutes(10), new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1" });
        Assert.True(result.ExitCode == 0, $"RUN {command}\n(as: {mapped})\nfailed: {result.Describe()}");
    }

    // As docker does, RUN goes to /bin/sh -c. /src and /app as absolute paths in a shell command (after a space, '=' or the start), not inside relative ones.
    [GeneratedRegex(@"(?<=^|[\s=])/(?:src|app)(?=/|\s|$)")]
    private static partial Regex ImagePathPattern();
}
