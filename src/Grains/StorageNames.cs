namespace LlamaOrleans.Grains;

/// <summary>Names of the grain storage providers the grains use; a silo registers providers under these names.</summary>
public static class StorageNames
{
    /// <summary>Conversation state: settings, transcript, KV handle, recorded replies.</summary>
    public const string Conversations = "conversations";
}
