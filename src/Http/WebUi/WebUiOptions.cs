namespace LlamaOrleans.Http.WebUi;

/// <summary>The "Http:WebUi" configuration section: the chat page the silo serves at <c>/</c>.</summary>
public sealed class WebUiOptions
{
    /// <summary>Serve the chat page at <c>/</c> and its files under <see cref="WebUiEndpoints.AssetPrefix"/>; false answers them 404.</summary>
    public bool Enabled { get; set; } = true;
}
