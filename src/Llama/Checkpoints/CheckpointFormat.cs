namespace Llama.Checkpoints;

/// <summary>The on-disk layouts the engine reads.</summary>
public enum CheckpointFormat
{
    /// <summary>llama2.c <c>.bin</c> export (legacy v0 header or version 1 "ak42").</summary>
    Llama2c,

    /// <summary>Meta's download: <c>params.json</c> + <c>consolidated.NN.pth</c> model-parallel shards.</summary>
    MetaPth,

    /// <summary>Hugging Face: <c>config.json</c> + <c>*.safetensors</c> (single or index-sharded).</summary>
    Safetensors,

    /// <summary>llama.cpp's single-file <c>.gguf</c> (versions 2 and 3), weights in float or quantized blocks, vocabulary included.</summary>
    Gguf,
}
