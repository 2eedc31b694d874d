namespace LlamaOrleans.Charts.Tests;

/// <summary>Copies a folder tree, optionally leaving out folders by name.</summary>
internal static class DirectoryCopy
{
    public static void Copy(string from, string to, Func<string, bool>? skipFolder = null)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var directory in Directory.GetDirectories(from))
        {
            var name = Path.GetFileName(directory);
            if (skipFolder?.Invoke(name) != true)
            {
                Copy(directory, Path.Combine(to, name), skipFolder);
            }
        }
    }
}
