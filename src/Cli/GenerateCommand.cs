using System.Diagnostics;
using System.Globalization;
using Llama.Generation;
using Llama.Model;

namespace Llama.Cli;

/// <summary>
/// <c>llama-orleans generate</c>: streams a completion to stdout as it is generated, then timing on stderr in
/// the fixed form "prompt tokens: P, generated tokens: G, prefill: X ms, decode: Y tok/s" (bench/ parses it).
/// </summary>
internal static class GenerateCommand
{
    public const string Usage =
        "llama-orleans generate --model PATH [--tokenizer PATH] --prompt TEXT [--temperature 0.6] [--top-p 0.9]\n" +
        "    [--max-tokens N] [--seed N] [--echo] [--device cpu|cuda[:N]] [--dtype float32|bfloat16|float16]\n" +
        "    [--kv-dtype float32|bfloat16|float16] [--threads N] [--max-seq-len 512] [--quantize q8_0|q4_0]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var line = new CommandLine(args,
            ["model", "tokenizer", "prompt", "temperature", "top-p", "max-tokens", "seed", "device", "dtype", "kv-dtype", "threads", "max-seq-len", "quantize"],
            ["echo"]);
        var model = line.Required("model");
        var prompt = line.Required("prompt");
        var tokenizer = line.Get("tokenizer") ?? ModelFiles.FindTokenizer(model);
        var options = EngineOptionsFrom(line);
        var generation = new GenerationOptions
        {
            Temperature = line.Float("temperature") ?? 0.6f,
            TopP = line.Float("top-p") ?? 0.9f,
            MaxGenLen = line.Int("max-tokens", min: 0),
            Seed = line.ULong("seed"),
        };
        generation.Validate();

        using var llama = LlamaGenerator.Build(model, tokenizer, line.Int("max-seq-len", min: 1) ?? 512, 1, options);
        var promptTokens = llama.Tokenizer.Encode(prompt, bos: true, eos: false);
        if (line.Has("echo"))
        {
            stdout.Write(prompt);
        }

        // The output continues the prompt: decode the prompt first, so that the first new token keeps its
        // leading space as it would in the whole text.
        var decoder = llama.Tokenizer.CreateIncrementalDecoder();
        foreach (var token in promptTokens)
        {
            decoder.Add(token);
        }

        var clock = Stopwatch.StartNew();
        var firstToken = TimeSpan.Zero;
        var lastToken = TimeSpan.Zero;
        var result = llama.Generate([promptTokens], generation, (_, token) =>
        {
            lastToken = clock.Elapsed;
            if (firstToken == TimeSpan.Zero)
            {
                firstToken = lastToken;
            }

            if (!llama.Generator.StopTokens.Contains(token))
            {
                stdout.Write(decoder.Add(token));
                stdout.Flush();
            }
        }, cancellationToken)[0];
        stdout.WriteLine(decoder.Flush());

        // Like run.c, decode speed leaves out the first token, which waits for the prompt's prefill.
        var decodeSeconds = (lastToken - firstToken).TotalSeconds;
        var decodeRate = result.GeneratedTokens > 1 && decodeSeconds > 0 ? (result.GeneratedTokens - 1) / decodeSeconds : 0;
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"prompt tokens: {result.PromptTokens}, generated tokens: {result.GeneratedTokens}, prefill: {firstToken.TotalMilliseconds:F1} ms, decode: {decodeRate:F2} tok/s"));
        return 0;
    }

    public static EngineOptions EngineOptionsFrom(CommandLine line) => new()
    {
        Device = line.Get("device") ?? "cpu",
        DType = line.Get("dtype") is { } dtype ? EngineOptions.ParseDType(dtype) : null,
        KvCacheDType = line.Get("kv-dtype") is { } kvDType ? EngineOptions.ParseKvCacheDType(kvDType) : null,
        Threads = line.Int("threads", min: 1),
        Quantization = EngineOptions.ParseQuantization(line.Get("quantize")),
    };
}
