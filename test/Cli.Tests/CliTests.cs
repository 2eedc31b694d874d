using System.Text.Json;
using System.Text.RegularExpressions;
using Llama.Cli;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Tests.Cli;

public partial class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CliApp.Run(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [GeneratedRegex(@"^prompt tokens: \d+, generated tokens: \d+, prefill: [\d.]+ ms, decode: [\d.]+ tok/s$", RegexOptions.Multiline)]
    private static partial Regex TimingLine();

    [Fact]
    public void Generate_streams_the_reference_greedy_text_and_reports_timing()
    {
        foreach (var c in GreedyReference.Load().Cases)
        {
            var (code, output, error) = Run("generate", "--model", TestData.Model, "--tokenizer", TestData.Tok512,
                "--prompt", c.Prompt, "--temperature", "0", "--max-tokens", c.MaxNewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));

            Assert.Equal(0, code);
            Assert.Equal(c.Text + Environment.NewLine, output);
            Assert.Matches(TimingLine(), error);
            Assert.Contains($"prompt tokens: {c.PromptIds.Length}, generated tokens: {c.GeneratedIds.Length + (c.StopReason == "stop" ? 1 : 0)},", error);
        }
    }

    [Fact]
    public void Generate_with_a_16_bit_kv_cache_streams_the_reference_greedy_text()
    {
        var c = GreedyReference.Load().Cases[1];
        var (code, output, _) = Run("generate", "--model", TestData.Model, "--tokenizer", TestData.Tok512, "--prompt", c.Prompt,
            "--temperature", "0", "--max-tokens", c.MaxNewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture), "--kv-dtype", "float16");

        Assert.Equal(0, code);
        Assert.Equal(c.Text + Environment.NewLine, output);
    }

    [Fact]
    public void Generate_runs_a_gguf_model_on_its_own_vocabulary_and_quantizes_others_at_load()
    {
        using var folder = new TempFolder();
        var gguf = folder.File("stories260K.gguf");
        GgufModels.WriteStories260K(gguf, Llama.Kernels.WeightType.F32);
        var c = GreedyReference.Load().Cases[1];
        var max = c.MaxNewTokens.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var fromGguf = Run("generate", "--model", gguf, "--prompt", c.Prompt, "--temperature", "0", "--max-tokens", max);
        var quantized = Run("generate", "--model", TestData.Model, "--tokenizer", TestData.Tok512, "--prompt", c.Prompt, "--temperature", "0",
            "--max-tokens", "20", "--quantize", "q8_0");
        var bad = Run("generate", "--model", TestData.Model, "--tokenizer", TestData.Tok512, "--prompt", "x", "--quantize", "q3");

        Assert.Equal(0, fromGguf.Code);
        Assert.StartsWith(c.Text, fromGguf.Out);
        Assert.Equal(0, quantized.Code);
        Assert.Matches(TimingLine(), quantized.Err);
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("Unknown quantization 'q3'", bad.Err);
    }

    [Fact]
    public void Generate_with_echo_prints_the_prompt_first_and_a_seed_repeats_a_sample()
    {
        string[] args = ["generate", "--model", TestData.Model, "--tokenizer", TestData.Tok512, "--prompt", "Lily and Tom",
            "--max-tokens", "40", "--seed", "7", "--echo", "--temperature", "0.9"];
        var first = Run(args);
        var second = Run(args);

        Assert.Equal(0, first.Code);
        Assert.StartsWith("Lily and Tom ", first.Out);
        Assert.Equal(first.Out, second.Out);
    }

    [Theory]
    [InlineData(2, "unknown option '--bogus'", "generate", "--bogus")]
    [InlineData(2, "--prompt is required", "generate", "--model", "M", "--tokenizer", "T")]
    [InlineData(2, "--max-tokens must be an integer of at least 0, got 'many'", "generate", "--model", "M", "--tokenizer", "T", "--prompt", "x", "--max-tokens", "many")]
    [InlineData(2, "--temperature needs a value", "generate", "--temperature")]
    [InlineData(2, "unknown command 'train'", "train")]
    [InlineData(2, "No checkpoint at missing.bin", "generate", "--model", "missing.bin", "--tokenizer", "T", "--prompt", "x")]
    public void Bad_command_lines_give_one_clear_line_and_an_exit_code(int expectedCode, string message, params string[] args)
    {
        var tokenizer = TestData.Tok512;
        var resolved = args.Select(a => a == "M" ? TestData.Model : a == "T" ? tokenizer : a).ToArray();

        var (code, output, error) = Run(resolved);

        Assert.Equal(expectedCode, code);
        Assert.Empty(output);
        Assert.Contains(message, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("Unknown device 'tpu'", "--device", "tpu")]
    [InlineData("Unknown dtype 'int4'", "--dtype", "int4")]
    [InlineData("Unknown KV cache dtype 'int8'", "--kv-dtype", "int8")]
    [InlineData("Wrong tokenizer for this model", "--tokenizer", "LLAMA2")]
    [InlineData("top_p must be in (0, 1]", "--top-p", "1.5")]
    public void Bad_engine_settings_are_reported(string message, string option, string value)
    {
        var v = value == "LLAMA2" ? TestData.Llama2Tokenizer : value;
        var tokenizer = option == "--tokenizer" ? v : TestData.Tok512;
        string[] args = ["generate", "--model", TestData.Model, "--tokenizer", tokenizer, "--prompt", "x"];
        if (option != "--tokenizer")
        {
            args = [.. args, option, v];
        }

        var (code, _, error) = Run(args);

        Assert.Equal(1, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Tokenize_prints_reference_ids_for_texts_and_dialogs()
    {
        var (code, output, _) = Run("tokenize", "--tokenizer", TestData.Llama2Tokenizer, "--text", "Hello, world!", "--bos");
        Assert.Equal(0, code);
        Assert.Equal("[1, 15043, 29892, 3186, 29991]" + Environment.NewLine, output);

        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Path("reference/chat-format.json")));
        var root = doc.RootElement;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            var dialog = Path.GetTempFileName();
            try
            {
                File.WriteAllText(dialog, c.GetProperty("dialog").GetRawText());
                var result = Run("tokenize", "--tokenizer", TestData.Llama2Tokenizer, "--dialog", dialog);
                if (c.GetProperty("error").ValueKind == JsonValueKind.Null)
                {
                    Assert.Equal(0, result.Code);
                    var ids = c.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32());
                    Assert.Equal($"[{string.Join(", ", ids)}]{Environment.NewLine}", result.Out);
                }
                else
                {
                    Assert.Equal(1, result.Code);
                    Assert.Equal($"error: {c.GetProperty("error").GetString()}{Environment.NewLine}", result.Err);
                }
            }
            finally
            {
                File.Delete(dialog);
            }
        }
    }

    [Fact]
    public void Tokenize_rejects_a_missing_dialog_file_and_mixed_options()
    {
        Assert.Equal(1, Run("tokenize", "--tokenizer", TestData.Llama2Tokenizer, "--dialog", "nope.json").Code);
        Assert.Equal(2, Run("tokenize", "--tokenizer", TestData.Llama2Tokenizer, "--dialog", "d.json", "--bos").Code);
        Assert.Equal(2, Run("tokenize", "--tokenizer", TestData.Llama2Tokenizer).Code);
        Assert.Equal(1, Run("tokenize", "--tokenizer", "missing.model", "--text", "x").Code);
    }

    [Fact]
    public void Inspect_describes_each_format_and_rejects_bad_paths()
    {
        var (code, output, _) = Run("inspect", TestData.Path("fixtures/stories260K-meta-mp2"));
        Assert.Equal(0, code);
        Assert.Contains("Meta .pth, 2 model-parallel shards", output);
        Assert.Contains("bfloat16", output);
        Assert.Contains("problems     none", output);

        Assert.Contains("llama2.c", Run("inspect", TestData.Model).Out);
        Assert.Contains("safetensors", Run("inspect", TestData.Path("fixtures/stories260K-hf")).Out);
        Assert.Equal(2, Run("inspect", "no/such/checkpoint").Code);
        Assert.Equal(2, Run("inspect").Code);
    }
}
