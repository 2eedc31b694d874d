namespace LlamaOrleans.Grains;

/// <summary>The "Llama" configuration section: the models of the cluster.</summary>
public sealed class LlamaHostingOptions
{
    public const string SectionName = "Llama";

    public List<LlamaModelOptions> Models { get; set; } = [];

    /// <summary>Context limit for every conversation, whatever the model allows (Llama 2's 4096).</summary>
    public int MaxContextTokens { get; set; } = 4096;

    /// <summary>Reply cap and context shrinking of conversations (<c>Llama:Conversations</c>).</summary>
    public ConversationOptions Conversations { get; set; } = new();
}
