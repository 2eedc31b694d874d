namespace Llama.Checkpoints.Pth;

/// <summary>One member of a zip archive, as its central directory describes it.</summary>
/// <param name="Name">Path inside the archive.</param>
/// <param name="Method">Compression method: 0 stored, 8 deflated, ...</param>
/// <param name="Flags">General-purpose bit flags (bit 0: encrypted).</param>
/// <param name="CompressedSize">Bytes the member occupies in the archive.</param>
/// <param name="Size">Bytes of the member's content.</param>
/// <param name="LocalHeaderOffset">Where the member's local file header begins.</param>
internal sealed record ZipEntry(string Name, int Method, int Flags, long CompressedSize, long Size, long LocalHeaderOffset);
