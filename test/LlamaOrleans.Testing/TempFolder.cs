namespace LlamaOrleans.Testing;

/// <summary>
/// A scratch folder under the system temp folder, deleted with everything in it on dispose; optionally starting as a
/// copy of a fixture folder. Tests and benches take their scratch files and databases from one of these.
/// </summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "llama-orleans-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    /// <summary>A new folder holding a copy of each file directly in <paramref name="folder"/>, all writable.</summary>
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

    /// <summary>The path of <paramref name="name"/> in this folder (a relative path may name subfolders); nothing is created.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
