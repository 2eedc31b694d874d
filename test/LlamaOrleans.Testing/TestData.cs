namespace LlamaOrleans.Testing;

/// <summary>
/// The files tests read: the demo model under the repository's <c>models/</c> folder, and reference data (tokenizers,
/// fixtures, expected outputs) under <c>test/data</c>.
/// </summary>
public static class TestData
{
    /// <summary>A file under test/data, from its path relative to that folder.</summary>
    public static string Path(string relative) => Repository.Path("test", "data", relative);

    /// <summary>The demo model, stories260K, as the silo and the images ship it.</summary>
    public static string Model => Repository.Path("models", "stories260K.bin");

    /// <summary>The demo model's 512-token tokenizer.</summary>
    public static string Tok512 => Repository.Path("models", "tok512.bin");

    public static string Llama2Tokenizer => Path("models/llama2-tokenizer.model");
}
