namespace LlamaOrleans.Http.Errors;

/// <summary>Ends a request with <see cref="Error"/>; the error middleware writes it.</summary>
public sealed class ApiException : Exception
{
    public ApiException()
        : this(new ApiError(500, "Internal error.", ApiErrorTypes.Server))
    {
    }

    public ApiException(string message)
        : this(new ApiError(400, message, ApiErrorTypes.InvalidRequest))
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new ApiError(400, message, ApiErrorTypes.InvalidRequest);
    }

    public ApiException(ApiError error)
        : base(error?.Message)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    public ApiError Error { get; }

    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(new ApiError(400, message, ApiErrorTypes.InvalidRequest, param, code));

    public static ApiException NotFound(string message, string? param = null, string? code = null) =>
        new(new ApiError(404, message, ApiErrorTypes.InvalidRequest, param, code));
}
