namespace Llama.Checkpoints;

/// <summary>A checkpoint found at a path: its format and the file or folder its reader opens.</summary>
public sealed record CheckpointLocation(CheckpointFormat Format, string Path);
