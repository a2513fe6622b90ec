// An error `grpo serve` answers with: an HTTP status and one line of JSON in the shape vLLM's ErrorResponse has
// ({"error": {"message", "type", "param", "code"}}), so OpenAI clients read it as they read vLLM's.
using System.Text.Json.Nodes;
using Grpo.Rollouts;

namespace Grpo.Serving;

public sealed class ServeException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>The one-line JSON body of an error answer.</summary>
    public static string Body(int status, string message) => new JsonObject
    {
        ["error"] = new JsonObject
        {
            ["message"] = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
            ["type"] = status switch
            {
                400 => "BadRequestError", 403 => "PermissionDeniedError", 404 => "NotFoundError", 413 => "RequestTooLargeError",
                _ => "InternalServerError",
            },
            ["param"] = null,
            ["code"] = status,
        },
    }.ToJsonString(WireJson.Compact);
}
