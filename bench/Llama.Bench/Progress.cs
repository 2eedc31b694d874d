namespace Llama.Bench;

/// <summary>Progress lines on stderr, keeping stdout for the result table.</summary>
internal static class Progress
{
    public static void Report(string message) => Console.Error.WriteLine($"[bench] {message}");
}
