namespace Llama.Bench.Tests;

/// <summary>Locates files under the repository's test/data folder from the test binaries.</summary>
internal static class BenchTestData
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, relative);

    public static string Stories260K => Path("models/stories260K.bin");

    public static string Tok512 => Path("models/tok512.bin");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "test", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"test/data not found above {AppContext.BaseDirectory}");
    }
}
