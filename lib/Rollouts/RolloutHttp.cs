// The HTTP calls of the rollout client: JSON in and out, a timeout per request, retries with exponential backoff for
// failures that may pass (no connection, a timeout, 5xx, 429), and one clear error naming the URL for everything else.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Grpo.Rollouts;

internal sealed class RolloutHttp(ServerRolloutSettings settings) : IDisposable
{
    readonly HttpClient client = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,   // each request gets settings.Timeout of its own
    };

    /// <summary>POSTs <paramref name="body"/> and returns the answer's text; <paramref name="what"/> says what was asked
    /// for in errors. Answers 4xx other than 429 end it at once: asking again would be refused again.</summary>
    public Task<string> Post(string baseUrl, string path, JsonObject body, string what) =>
        Send(baseUrl, path, what, () => new HttpRequestMessage(HttpMethod.Post, Url(baseUrl, path))
        {
            Content = new StringContent(body.ToJsonString(WireJson.Compact), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        });

    public Task<string> Get(string baseUrl, string path, string what) =>
        Send(baseUrl, path, what, () => new HttpRequestMessage(HttpMethod.Get, Url(baseUrl, path)));

    /// <summary>GET <paramref name="path"/> until it answers 2xx, for at most the settings' timeout (a server loading
    /// a large model takes minutes to come up).</summary>
    public async Task<string> WaitUntilUp(string baseUrl, string path)
    {
        var watch = Stopwatch.StartNew();
        var pause = settings.Backoff;
        Exception? last = null;
        while (true)
        {
            try
            {
                using var cts = new CancellationTokenSource(settings.Timeout);
                using var answer = await client.GetAsync(Url(baseUrl, path), cts.Token);
                var text = await answer.Content.ReadAsStringAsync(cts.Token);
                if (answer.IsSuccessStatusCode) return text;
                last = new HttpRequestException($"answered {(int)answer.StatusCode} {answer.ReasonPhrase}: {WireJson.Shorten(text)}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { last = e; }
            if (watch.Elapsed + pause > settings.Timeout)
                throw new RolloutServerException($"rollout server {Url(baseUrl, path)} is not up after {watch.Elapsed.TotalSeconds:F0} s " +
                    $"(vllm_server_timeout {settings.Timeout.TotalSeconds:F0} s): {Reason(last)}", last);
            await Task.Delay(pause);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    async Task<string> Send(string baseUrl, string path, string what, Func<HttpRequestMessage> request)
    {
        var url = Url(baseUrl, path);
        var watch = Stopwatch.StartNew();
        var pause = settings.Backoff;
        for (int attempt = 0; ; attempt++)
        {
            Exception failure;
            try
            {
                using var cts = new CancellationTokenSource(settings.Timeout);
                using var message = request();
                using var answer = await client.SendAsync(message, cts.Token);
                var text = await answer.Content.ReadAsStringAsync(cts.Token);
                if (answer.IsSuccessStatusCode) return text;
                var refused = new RolloutServerException($"rollout server {url} answered {(int)answer.StatusCode} {answer.ReasonPhrase} to {what}: {WireJson.Shorten(text)}",
                    status: (int)answer.StatusCode);
                if ((int)answer.StatusCode < 500 && answer.StatusCode != HttpStatusCode.TooManyRequests) throw refused;
                failure = refused;
            }
            catch (HttpRequestException e) { failure = e; }
            catch (TaskCanceledException e) { failure = new TimeoutException($"no answer within {settings.Timeout.TotalSeconds:F0} s (vllm_server_timeout)", e); }
            if (attempt >= settings.Retries)
                throw failure as RolloutServerException ?? new RolloutServerException(
                    $"rollout server {url} failed {what} {attempt + 1} times over {watch.Elapsed.TotalSeconds:F0} s: {Reason(failure)}", failure);
            await Task.Delay(pause);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    /// <summary>"connection refused" rather than the exception's full chain.</summary>
    static string Reason(Exception? e) => e switch
    {
        null => "no answer",
        HttpRequestException { InnerException: System.Net.Sockets.SocketException s } => s.SocketErrorCode switch
        {
            System.Net.Sockets.SocketError.ConnectionRefused => "connection refused (is the server running?)",
            System.Net.Sockets.SocketError.ConnectionReset => "connection reset",
            _ => s.Message,
        },
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "the server closed the connection without an answer",
        _ => WireJson.Shorten(e.Message),
    };

    public static string Url(string baseUrl, string path) => baseUrl.TrimEnd('/') + path;

    public void Dispose() => client.Dispose();
}
