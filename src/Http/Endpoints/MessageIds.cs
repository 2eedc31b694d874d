namespace LlamaOrleans.Http.Endpoints;

/// <summary>The client's message id from <see cref="HttpApiRoutes.MessageIdHeader"/>, or a new one.</summary>
internal static class MessageIds
{
    public const int MaxLength = 128;

    public static string From(HttpContext context)
    {
        var id = context.Request.Headers[HttpApiRoutes.MessageIdHeader].ToString();
        if (id.Length == 0)
        {
            return $"msg_{Guid.NewGuid():N}";
        }

        return id.Length > MaxLength || id.Any(char.IsControl)
            ? throw ApiException.BadRequest($"{HttpApiRoutes.MessageIdHeader} must be 1 to {MaxLength} printable characters.", HttpApiRoutes.MessageIdHeader, "invalid_value")
            : id;
    }
}
