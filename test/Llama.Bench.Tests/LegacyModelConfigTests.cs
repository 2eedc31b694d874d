namespace Llama.Bench.Tests;

public class LegacyModelConfigTests
{
    [Fact]
    public void Reads_the_stories260K_header_and_accepts_its_exact_file_size()
    {
        var config = LegacyModelConfig.Read(TestData.Model);

        Assert.Equal(new LegacyModelConfig(64, 172, 5, 8, 4, 512, 512, SharedClassifier: true), config);
        Assert.Equal(new FileInfo(TestData.Model).Length, config.FileBytes);
    }

    [Fact]
    public void Weights_read_per_token_of_a_shared_classifier_model_are_the_file_less_header_and_freq_cis()
    {
        var config = LegacyModelConfig.Read(TestData.Model);
        var freqCisBytes = 2L * 512 * (64 / 8 / 2) * sizeof(float);

        Assert.Equal(new FileInfo(TestData.Model).Length - 28 - freqCisBytes, config.WeightBytesPerToken);
    }

    [Fact]
    public void Shape110M_is_llama2c_stories110M_with_the_32k_vocabulary()
    {
        var config = LegacyModelConfig.Shape110M;

        Assert.Equal(new LegacyModelConfig(768, 2048, 12, 12, 12, 32000, 1024, SharedClassifier: true), config);
        // 24.6M embedding/classifier + 12 layers of 7.08M + final norm: the "110M" of the name.
        Assert.InRange(config.WeightBytesPerToken / sizeof(float), 109_000_000L, 110_000_000L);
    }

    [Fact]
    public void Rejects_a_file_shorter_than_the_header()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.bin");
        File.WriteAllBytes(path, new byte[10]);

        var error = Assert.Throws<BenchException>(() => LegacyModelConfig.Read(path));
        Assert.Contains("shorter than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_header_with_a_zero_dimension()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.bin");
        File.WriteAllBytes(path, new LegacyModelConfig(0, 16, 1, 2, 2, 10, 4, true).EncodeHeader());

        var error = Assert.Throws<BenchException>(() => LegacyModelConfig.Read(path));
        Assert.Contains("not a llama2.c model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_file_whose_size_disagrees_with_its_header()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.bin");
        var bytes = File.ReadAllBytes(TestData.Model);
        File.WriteAllBytes(path, bytes[..^4]);

        var error = Assert.Throws<BenchException>(() => LegacyModelConfig.Read(path));
        Assert.Contains("header implies", error.Message, StringComparison.Ordinal);
    }
}
