namespace LlamaOrleans.Testing.Checkpoints;

/// <summary>Passes writes through to another stream while computing their zip CRC-32 and length.</summary>
public sealed class Crc32Stream(Stream inner) : Stream
{
    private static readonly uint[] Table = MakeTable();
    private uint _crc = uint.MaxValue;
    private long _length;

    public uint Crc => ~_crc;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var crc = _crc;
        foreach (var b in buffer)
        {
            crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        }

        _crc = crc;
        _length += buffer.Length;
        inner.Write(buffer);
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
