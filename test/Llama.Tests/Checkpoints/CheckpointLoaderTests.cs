using Llama.Checkpoints;

namespace Llama.Tests.Checkpoints;

public class CheckpointLoaderTests
{
    [Theory]
    [InlineData(Fixtures.Meta, CheckpointFormat.MetaPth)]
    [InlineData(Fixtures.MetaFp16, CheckpointFormat.MetaPth)]
    [InlineData(Fixtures.MetaF32, CheckpointFormat.MetaPth)]
    [InlineData(Fixtures.MetaMp2, CheckpointFormat.MetaPth)]
    [InlineData(Fixtures.Hf, CheckpointFormat.Safetensors)]
    [InlineData(Fixtures.HfSharded, CheckpointFormat.Safetensors)]
    public void Every_fixture_folder_is_recognised_and_opens(string fixture, CheckpointFormat format)
    {
        var folder = Fixtures.Folder(fixture);

        Assert.Equal(new CheckpointLocation(format, Path.GetFullPath(folder)), CheckpointLoader.Locate(folder));
        using var checkpoint = CheckpointLoader.Open(folder);
        Assert.Equal(format, checkpoint.Format);
        Assert.Equal(9 * Fixtures.Layers + 3, checkpoint.TensorNames.Count);
    }

    [Theory]
    [InlineData(Fixtures.Meta, "consolidated.00.pth", CheckpointFormat.MetaPth)]
    [InlineData(Fixtures.Meta, "params.json", CheckpointFormat.MetaPth)]
    [InlineData(Fixtures.Hf, "model.safetensors", CheckpointFormat.Safetensors)]
    [InlineData(Fixtures.Hf, "config.json", CheckpointFormat.Safetensors)]
    public void A_file_of_a_checkpoint_locates_its_folder(string fixture, string file, CheckpointFormat format)
    {
        var folder = Path.GetFullPath(Fixtures.Folder(fixture));

        Assert.Equal(new CheckpointLocation(format, folder), CheckpointLoader.Locate(Path.Combine(folder, file)));
    }

    [Fact]
    public void A_llama2c_file_or_its_folder_opens_as_llama2c()
    {
        Assert.Equal(new CheckpointLocation(CheckpointFormat.Llama2c, Path.GetFullPath(TestData.Model)), CheckpointLoader.Locate(TestData.Model));

        using var folder = new TempFolder();
        File.Copy(TestData.Model, folder.File("stories260K.bin"));
        File.Copy(TestData.Tok512, folder.File("tok512.bin"));
        File.Copy(TestData.Tok512, folder.File("tokenizer.bin"));

        using var checkpoint = CheckpointLoader.Open(folder.Path);
        Assert.Equal(CheckpointFormat.Llama2c, checkpoint.Format);
        Assert.Equal(folder.File("stories260K.bin"), checkpoint.Path);
    }

    [Fact]
    public void A_folder_without_a_checkpoint_is_an_error_listing_what_it_holds()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("params.json"), "{}");
        File.WriteAllText(folder.File("notes.txt"), "");
        Directory.CreateDirectory(folder.File("sub"));

        var e = Assert.Throws<CheckpointException>(() => CheckpointLoader.Open(folder.Path));
        Assert.Contains("No checkpoint recognised", e.Message);
        Assert.Contains("Found: notes.txt, params.json, sub/.", e.Message);
    }

    [Fact]
    public void Several_llama2c_models_in_one_folder_must_be_told_apart()
    {
        using var folder = new TempFolder();
        File.Copy(TestData.Model, folder.File("a.bin"));
        File.Copy(TestData.Model, folder.File("b.bin"));

        var e = Assert.Throws<CheckpointException>(() => CheckpointLoader.Locate(folder.Path));
        Assert.Contains("several llama2.c models (a.bin, b.bin)", e.Message);
    }

    [Fact]
    public void A_missing_path_is_an_error()
    {
        var e = Assert.Throws<CheckpointException>(() => CheckpointLoader.Open("/nonexistent/model"));
        Assert.Contains("no such file or folder", e.Message);
    }
}
