using Llama.Tokenization;

namespace Llama.Checkpoints.Gguf;

/// <summary>
/// The SentencePiece vocabulary a llama GGUF file carries in <c>tokenizer.ggml.*</c>: pieces, scores, piece types
/// (GGUF numbers them as SentencePiece does) and the BOS/EOS/padding ids.
/// </summary>
internal static class GgufVocabulary
{
    public static ITokenizer Read(GgufMetadata metadata, string path)
    {
        var file = Path.GetFileName(path);
        var model = metadata.String("tokenizer.ggml.model");
        if (model != "llama")
        {
            throw new CheckpointException(
                $"{file}: tokenizer.ggml.model is \"{model}\"; only \"llama\" (SentencePiece, as Llama 2's) is supported.");
        }

        var tokens = metadata.Array<string>("tokenizer.ggml.tokens")
            ?? throw new CheckpointException($"{file}: GGUF metadata 'tokenizer.ggml.tokens' is missing.");
        var scores = metadata.Array<float>("tokenizer.ggml.scores") ?? new float[tokens.Length];
        var types = metadata.Array<int>("tokenizer.ggml.token_type") ?? Enumerable.Repeat(1, tokens.Length).ToArray();
        if (scores.Length != tokens.Length || types.Length != tokens.Length)
        {
            throw new CheckpointException(
                $"{file}: the vocabulary has {tokens.Length} tokens but {scores.Length} scores and {types.Length} token types.");
        }

        int Id(string key, int fallback)
        {
            var id = metadata.Int(key, fallback);
            return id < tokens.Length ? id : throw new CheckpointException($"{file}: {key} {id} is outside the {tokens.Length}-token vocabulary.");
        }

        var pieces = new (string, float, SentencePieceModel.PieceType)[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            pieces[i] = (tokens[i], scores[i], (SentencePieceModel.PieceType)types[i]);
        }

        try
        {
            return SentencePieceTokenizer.FromVocabulary(
                pieces, Id("tokenizer.ggml.bos_token_id", 1), Id("tokenizer.ggml.eos_token_id", 2),
                metadata.Has("tokenizer.ggml.padding_token_id") ? Id("tokenizer.ggml.padding_token_id", -1) : -1, path);
        }
        catch (TokenizerException e)
        {
            throw new CheckpointException($"{file}: its vocabulary is unusable: {e.Message}", e);
        }
    }
}
