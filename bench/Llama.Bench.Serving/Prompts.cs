using System.Globalization;

namespace Llama.Bench.Serving;

/// <summary>The user messages the bench sends: short, and different for every stream and turn.</summary>
internal static class Prompts
{
    /// <summary>The one message of stream <paramref name="stream"/> in the throughput sections.</summary>
    public static string Story(int stream) =>
        string.Create(CultureInfo.InvariantCulture, $"Tell me story number {stream + 1}, about a fox and a river.");

    /// <summary>Turn <paramref name="turn"/> of conversation <paramref name="conversation"/> (both from 0).</summary>
    public static string Turn(int conversation, int turn) =>
        string.Create(CultureInfo.InvariantCulture, $"Conversation {conversation + 1}, question {turn + 1}: and then?");

    /// <summary>
    /// Turn <paramref name="turn"/> of long chat <paramref name="conversation"/> (both from 0): a short follow-up as chat
    /// users send, numbered so that no two conversations' dialogs share blocks (the demo model's greedy replies repeat).
    /// </summary>
    public static string LongChat(int conversation, int turn) =>
        string.Create(CultureInfo.InvariantCulture, $"{conversation + 1}.{turn + 1}: and then?");
}
