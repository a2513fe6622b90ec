// A scripted HTTP server on a free loopback port for the rollout client's tests: it records every request and answers
// with what the test's handler returns (status and body), so failures a real engine rarely shows on demand (a 503,
// a malformed answer) can be.
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Grpo.Tests.Rollouts;

public sealed record FakeRequest(string Method, string Path, JsonNode? Body);

public sealed class FakeRolloutServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly Func<FakeRequest, (int Status, string Body)> handle;
    readonly Task loop;
    readonly List<FakeRequest> requests = [];

    public string Url { get; }

    readonly bool answerModels;

    /// <summary>Answers GET /v1/models with one model named "base" (unless <paramref name="answerModels"/> is false: a
    /// proxy forwards it too); everything else goes to <paramref name="handle"/>.</summary>
    public FakeRolloutServer(Func<FakeRequest, (int Status, string Body)> handle, bool answerModels = true)
    {
        this.handle = handle;
        this.answerModels = answerModels;
        Url = $"http://127.0.0.1:{FreePort()}";
        listener.Prefixes.Add(Url + "/");
        listener.Start();
        loop = Task.Run(Serve);
    }

    public IReadOnlyList<FakeRequest> Requests { get { lock (requests) return requests.ToList(); } }

    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) { return; }
            string text;
            using (var reader = new StreamReader(context.Request.InputStream)) text = await reader.ReadToEndAsync();
            var request = new FakeRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, text.Length > 0 ? JsonNode.Parse(text) : null);
            var (status, body) = answerModels && request.Path == "/v1/models"
                ? (200, """{"object": "list", "data": [{"id": "base", "object": "model"}]}""")
                : Record(request);
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    (int, string) Record(FakeRequest request)
    {
        lock (requests) requests.Add(request);
        try { return handle(request); }
        catch (Exception e) { return (500, e.Message); }
    }

    /// <summary>A vLLM answer to a one-prompt completion request: completion k of prompt P is [P[0] * 100 + k, 2], finished.</summary>
    public static string VllmAnswer(JsonNode request)
    {
        var prompt = request["prompt"]!.AsArray().Select(x => (int)x!).ToArray();
        int n = (int)request["n"]!;
        var choices = new JsonArray(Enumerable.Range(0, n).Select(k => (JsonNode)new JsonObject
        {
            ["index"] = k, ["text"] = "", ["finish_reason"] = "stop",
            ["token_ids"] = new JsonArray(prompt[0] * 100 + k, 2),
            ["logprobs"] = new JsonObject { ["token_logprobs"] = new JsonArray(-0.5, -0.25), ["tokens"] = new JsonArray("a", "b") },
        }).ToArray());
        return new JsonObject { ["choices"] = choices }.ToJsonString();
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
