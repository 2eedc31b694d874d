using System.Reflection;

namespace LlamaOrleans.Testing;

/// <summary>The repository the tests and benches run from, and the programs built in it.</summary>
public static class Repository
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding Llama.Orleans.sln, found above the running binaries.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The build configuration (Debug or Release) these binaries, and so the programs beside them, were built in.</summary>
    public static string Configuration =>
        typeof(Repository).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>A path under the repository root, from its parts.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>
    /// The entry assembly of the program built from <paramref name="project"/> (a folder under <c>src/</c>) in
    /// <see cref="Configuration"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">That program is not built in this configuration.</exception>
    public static string BuiltProgram(string project, string assembly)
    {
        var path = Path("src", project, "bin", Configuration, "net10.0", assembly);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{assembly} is not built for {Configuration}: {path}", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Llama.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Llama.Orleans.sln above {AppContext.BaseDirectory}.");
    }
}
