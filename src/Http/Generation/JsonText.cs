using System.Text.Json;
using LlamaOrleans.Http.Errors;

namespace LlamaOrleans.Http.Generation;

/// <summary>
/// The text of a JSON string read as a <see cref="JsonElement"/>. JSON may escape a lone UTF-16 surrogate
/// (<c>"\ud800"</c>), which is no text at all; typed fields refuse it while the body is read, these when they are used.
/// </summary>
public static class JsonText
{
    /// <exception cref="ApiException">The string holds a lone surrogate (400 naming <paramref name="param"/>).</exception>
    public static string Get(JsonElement value, string param)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest($"{param} is not valid text: it contains a lone UTF-16 surrogate escape.", param, "invalid_value");
        }
    }
}
