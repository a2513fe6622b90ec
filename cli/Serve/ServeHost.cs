// The HTTP side of `grpo serve` (ASP.NET Core, Kestrel): routes vLLM's and SGLang's endpoints to the CompletionEngine,
// refuses bodies above the size limit, and answers every error as one line of JSON with its status.
using System.Net;
using System.Text.Json.Nodes;
using Grpo.Rollouts;
using Grpo.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Grpo.Cli.Serve;

public static class ServeHost
{
    const string JsonType = "application/json", TextType = "text/plain; charset=utf-8";

    /// <summary>A started server on <paramref name="address"/>:<paramref name="port"/> (0: a free port); Urls says
    /// where it listens.</summary>
    public static WebApplication Start(CompletionEngine engine, IPAddress address, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = engine.Options.MaxRequestBytes;
            k.AddServerHeader = false;
            k.Listen(address, port);
        });
        var app = builder.Build();
        app.MapGet("/health", c => Write(c, 200, "", TextType));
        app.MapGet(VllmWire.ModelsPath, c => Write(c, 200, Json(engine.Models()), JsonType));
        Post(app, VllmWire.CompletionsPath, async body => Json(await engine.Completions(body)));
        Post(app, SglangWire.GeneratePath, async body => Json(await engine.Generate(body)));
        Post(app, VllmWire.LoadLoraPath, body => Task.FromResult(engine.LoadLoraAdapter(body)), TextType);
        Post(app, VllmWire.UnloadLoraPath, body => Task.FromResult(engine.UnloadLoraAdapter(body)), TextType);
        Post(app, SglangWire.LoadLoraPath, body =>
        {
            engine.LoadLoraAdapter(body);
            return Task.FromResult(Json(engine.LoraAnswer()));
        });
        Post(app, SglangWire.UnloadLoraPath, body =>
        {
            engine.UnloadLoraAdapter(body);
            return Task.FromResult(Json(engine.LoraAnswer()));
        });
        Post(app, SglangWire.UpdateWeightsPath, body => Task.FromResult(Json(engine.UpdateWeightsFromDisk(body))));
        app.MapFallback(c => Error(c, 404, $"no endpoint {c.Request.Method} {c.Request.Path}"));
        app.StartAsync().GetAwaiter().GetResult();
        return app;
    }

    /// <summary>The addresses the server listens on (with the port Kestrel chose when asked for 0).</summary>
    public static IReadOnlyList<string> Urls(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>A POST endpoint whose body is a JSON object; every failure becomes one JSON line with its status.</summary>
    static void Post(WebApplication app, string path, Func<JsonObject, Task<string>> answer, string contentType = JsonType)
    {
        long limit = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>()
            .Value.Limits.MaxRequestBodySize ?? 0;
        app.MapPost(path, async context =>
        {
            string body;
            try
            {
                string text;
                using (var reader = new StreamReader(context.Request.Body)) text = await reader.ReadToEndAsync(context.RequestAborted);
                var request = WireJson.Parse(text, "the request body") as JsonObject
                              ?? throw new WireFormatException("the request body must be a JSON object");
                body = await answer(request);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await Error(context, 413, $"the request body is larger than this server's limit of {limit} bytes (--max-request-bytes)");
                return;
            }
            catch (ServeException e) { await Error(context, e.Status, e.Message); return; }
            catch (Exception e) when (e is WireFormatException or BadInputException) { await Error(context, 400, e.Message); return; }
            catch (Exception e) { await Error(context, 500, $"{e.GetType().Name}: {e.Message}"); return; }
            await Write(context, 200, body, contentType);
        });
    }

    static string Json(JsonNode node) => node.ToJsonString(WireJson.Compact);

    static Task Error(HttpContext context, int status, string message) => Write(context, status, ServeException.Body(status, message), JsonType);

    static async Task Write(HttpContext context, int status, string body, string contentType)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body + (contentType == JsonType && body.Length > 0 ? "\n" : ""));
    }
}
