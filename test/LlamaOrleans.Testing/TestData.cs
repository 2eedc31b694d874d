namespace LlamaOrleans.Testing;

/// <summary>The files tests read: the small models and reference data under the repository's test/data folder.</summary>
public static class TestData
{
    /// <summary>A file under test/data, from its path relative to that folder.</summary>
    public static string Path(string relative) => Repository.Path("test", "data", relative);

    public static string Model => Path("models/stories260K.bin");

    public static string Tok512 => Path("models/tok512.bin");

    public static string Llama2Tokenizer => Path("models/llama2-tokenizer.model");
}
