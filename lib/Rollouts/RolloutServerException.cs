// A rollout server that is down, too slow, refuses a request or answers something malformed. An IOException: the
// trouble is with something outside the process (the CLI prints it as one "error:" line, like an unreadable file).
namespace Grpo.Rollouts;

/// <param name="Status">The HTTP status when the server answered with an error, else null.</param>
public sealed class RolloutServerException(string message, Exception? inner = null, int? status = null) : IOException(message, inner)
{
    public int? Status { get; } = status;
}
