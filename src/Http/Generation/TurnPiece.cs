namespace LlamaOrleans.Http.Generation;

/// <summary>
/// A piece of a reply as it is generated: its text, how many tokens it took, when asked for the log-probabilities of
/// the tokens whose text it completes, on the last piece the turn's end, and the prompt's tokens where the turn's
/// source says them (a conversation plans its prompt itself).
/// </summary>
public sealed record TurnPiece(string Text, int Tokens = 0, TurnEnd? End = null, IReadOnlyList<LogprobToken>? Logprobs = null, int PromptTokens = 0);
