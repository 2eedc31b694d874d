using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace LlamaOrleans.Client.Tests;

/// <summary>
/// The program docs/client.md and README.md show, compiled as an application would compile it (its own project, referencing the
/// SDK, warnings as errors) and run against a real llama-orleans-silo: the documentation cannot drift from the SDK.
/// </summary>
public sealed partial class ClientDocumentationTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"<!-- client-program -->\s*```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex ProgramBlock();

    [Fact]
    public async Task The_documented_program_compiles_and_runs_against_a_silo()
    {
        var root = Repository.Root;
        var program = ProgramBlock().Match(await File.ReadAllTextAsync(Path.Combine(root, "docs", "client.md"), Cancel));
        Assert.True(program.Success, "docs/client.md has no program block");
        var readme = ProgramBlock().Match(await File.ReadAllTextAsync(Path.Combine(root, "README.md"), Cancel));
        Assert.True(readme.Success, "README.md has no program block");
        Assert.Equal(program.Groups["code"].Value, readme.Groups["code"].Value);
        var directory = Directory.CreateTempSubdirectory("llama-client-doc-");
        try
        {
            var project = Path.Combine(directory.FullName, "app");
            Directory.CreateDirectory(project);
            await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), program.Groups["code"].Value, Cancel);
            await File.WriteAllTextAsync(Path.Combine(project, "App.csproj"), ProjectFile(root), Cancel);

            var build = await RunAsync(project, TimeSpan.FromMinutes(8), "build", "-c", "Release", "-nologo", "-v", "quiet", "-o", "out");
            Assert.True(build.Code == 0, $"the documented program does not compile:\n{build.Output}");

            var ports = FreePorts.Take(2);
            await using var silo = await SiloProcess.StartAsync("client-doc", directory.FullName, new Dictionary<string, string>
            {
                ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
                ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
                ["Storage:DataSource"] = Path.Combine(directory.FullName, "data", "conversations.db"),
            }, ports[1], cancellationToken: Cancel);

            var run = await RunAsync(project, TimeSpan.FromMinutes(2), Path.Combine("out", "App.dll"), $"--gateway=127.0.0.1:{ports[1]}");

            Assert.True(run.Code == 0, $"the documented program failed:\n{run.Output}\nsilo:\n{silo.Output}");
            Assert.Matches(@"(?m)^reply: .+ \(\d+ prompt tokens, (stop|length)\)$", run.Output);
            Assert.Matches(@"(?m)^streamed: .+$", run.Output);
            Assert.Contains("User: Tell me about a cat.", run.Output, StringComparison.Ordinal);
            Assert.Contains("User: And then?", run.Output, StringComparison.Ordinal);
            Assert.Equal(2, Regex.Matches(run.Output, "(?m)^Assistant: ").Count);
            Assert.Matches(@"(?m)^chat client: .+$", run.Output);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>A console project as docs/client.md shows it, with this repository's SDK and the repository's package versions.</summary>
    private static string ProjectFile(string root)
    {
        var hosting = XDocument.Load(Path.Combine(root, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == "Microsoft.Extensions.Hosting").Attribute("Version")!.Value;
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(root, "src", "Client", "Client.csproj")}" />
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="{hosting}" />
              </ItemGroup>
            </Project>
            """;
    }

    private static async Task<(int Code, string Output)> RunAsync(string directory, TimeSpan timeout, params string[] args)
    {
        // A build here must not leave a build server behind.
        var environment = new Dictionary<string, string>
        {
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        };
        var result = await ProcessRunner.RunAsync("dotnet", args, directory, timeout, environment, cancellationToken: Cancel);
        return (result.ExitCode, result.StandardOutput + result.StandardError);
    }
}
