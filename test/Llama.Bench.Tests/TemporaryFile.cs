namespace Llama.Bench.Tests;

/// <summary>A file path under the temp folder, deleted when the test is done with it.</summary>
internal sealed class TemporaryFile : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"llama-bench-test-{Guid.NewGuid():N}.bin");

    public void Dispose() => File.Delete(Path);
}
