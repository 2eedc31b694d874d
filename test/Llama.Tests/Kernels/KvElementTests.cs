using System.Runtime.Intrinsics;
using Llama.Kernels;

namespace Llama.Tests.Kernels;

public unsafe class KvElementTests
{
    /// <summary>Ordinary values, ties, the largest finite values, overflow, subnormals, zeros, infinities and NaN.</summary>
    private static float[] Values()
    {
        var random = new Random(7);
        float[] special =
        [
            0f, -0f, 1f, -1f, 65504f, -65504f, 65520f, 70000f, 6.1e-5f, 5.96e-8f, 3e-8f, 1e-10f, 1e-40f, -1e-40f,
            float.MaxValue, float.MinValue, float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
            BitConverter.UInt32BitsToSingle(0x3F808000), BitConverter.UInt32BitsToSingle(0x3F818000), BitConverter.UInt32BitsToSingle(0x3F808001),
            1.00048828125f, 1.00146484375f, 2.0009765625f,
        ];
        var ordinary = Enumerable.Range(0, 1000).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-9, 6))));
        return [.. special, .. ordinary, .. Enumerable.Range(0, 6).Select(i => (float)i)];
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("bfloat16")]
    [InlineData("float32")]
    public void Rounding_and_widening_equal_libtorchs_conversions(string dtype)
    {
        var values = Values();
        var (expectedBytes, expectedWidened) = KvTestData.Store(values, dtype);
        var bytes = new byte[expectedBytes.Length];
        var loaded = new float[values.Length];
        var widened = new float[values.Length];
        var scalar = new float[values.Length];
        fixed (byte* b = bytes)
        fixed (float* l = loaded, w = widened, s = scalar)
        {
            var convert = dtype switch
            {
                "float16" => (Conversion)Convert<KvFloat16>,
                "bfloat16" => Convert<KvBFloat16>,
                _ => Convert<KvFloat32>,
            };
            convert(values, b, l, w, s);
        }

        var size = bytes.Length / values.Length;
        for (var i = 0; i < values.Length; i++)
        {
            // NaN may come out as any NaN.
            if (!float.IsNaN(values[i]))
            {
                Assert.True(bytes.AsSpan(i * size, size).SequenceEqual(expectedBytes.AsSpan(i * size, size)), $"{values[i]} rounds differently");
            }

            // Bit for bit, NaN included; except that a signalling NaN's payload may differ.
            var expected = BitConverter.SingleToUInt32Bits(expectedWidened[i]);
            Assert.True(float.IsNaN(expectedWidened[i]) ? float.IsNaN(loaded[i]) : BitConverter.SingleToUInt32Bits(loaded[i]) == expected,
                $"{values[i]}: Load8 gave {loaded[i]}, expected {expectedWidened[i]}");
            Assert.True(float.IsNaN(expectedWidened[i]) ? float.IsNaN(widened[i]) : BitConverter.SingleToUInt32Bits(widened[i]) == expected,
                $"{values[i]}: ToFloat gave {widened[i]}, expected {expectedWidened[i]}");
            Assert.True(float.IsNaN(expectedWidened[i]) ? float.IsNaN(scalar[i]) : BitConverter.SingleToUInt32Bits(scalar[i]) == expected,
                $"{values[i]}: Load gave {scalar[i]}, expected {expectedWidened[i]}");
        }
    }

    private delegate void Conversion(float[] values, byte* stored, float* loaded, float* widened, float* scalar);

    private static void Convert<T>(float[] values, byte* stored, float* loaded, float* widened, float* scalar)
        where T : unmanaged, IKvElement
    {
        T.FromFloat(values, stored);
        var i = 0;
        for (; i + 8 <= values.Length; i += 8)
        {
            T.Load8(stored + (i * T.Size)).Store(loaded + i);
        }

        for (; i < values.Length; i++)
        {
            loaded[i] = T.Load(stored + (i * T.Size));
        }

        T.ToFloat(stored, widened, values.Length);
        for (i = 0; i < values.Length; i++)
        {
            scalar[i] = T.Load(stored + (i * T.Size));
        }
    }
}
