namespace Llama.Tests.Checkpoints;

/// <summary>A scratch folder deleted on dispose, optionally starting as a copy of a fixture folder.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateTempSubdirectory("llama-ckpt-").FullName;
    }

    public string Path { get; }

    public static TempFolder CopyOf(string folder)
    {
        var temp = new TempFolder();
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var target = temp.File(System.IO.Path.GetFileName(file));
            System.IO.File.Copy(file, target);
            System.IO.File.SetAttributes(target, FileAttributes.Normal);
        }

        return temp;
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
